/**
 * LoRA (Hu et al. 2021): W' = W + scale · B·A with A: [r, in] random, B: [out, r] zero, scale = alpha / r,
 * so a freshly adapted model computes exactly what the base model does. The architectures apply
 * `model.adapters` in their linear helper (y += (x Aᵀ Bᵀ)·scale); here adapters are created, merged
 * into the base weights, and named the way PEFT saves them.
 */
import * as tf from '@tensorflow/tfjs';
import type { CausalLM, LoraAdapter, ModelConfig } from '../types';
import { saveModel } from '../save';
import { uniformArray, xoroshiro128plus } from './rng';

export interface LoraOptions {
  rank: number;
  alpha: number;
  /**
   * Which linear layers: each entry is a module-name suffix ('q_proj', 'attn.c_attn'), a path segment
   * ('mlp', 'self_attn': every linear under it), 'all-linear' (not lm_head), 'lm_head' (untied heads),
   * or a regular expression written '/…/' tested against the weight name.
   */
  targets: string[];
  seed: number;
}

/** Embedding matrices are rank 2 but not linear layers. */
const EMBEDDING = /(^|\.)(wte|wpe|embed_tokens|embed_positions)\.weight$/;
/** An untied output head is a linear layer, but only adapted when named explicitly (PEFT's all-linear skips it too). */
const HEAD = /(^|\.)lm_head\.weight$/;

/**
 * How a linear weight is stored: GPT-2's Conv1D keeps [in, out] (y = x W), torch nn.Linear keeps
 * [out, in] (y = x Wᵀ).
 */
export function linearLayout(config: Pick<ModelConfig, 'modelType'>): 'in_out' | 'out_in' {
  return config.modelType === 'gpt2' ? 'in_out' : 'out_in';
}

/** [in, out] features of a linear weight. */
export function linearDims(config: Pick<ModelConfig, 'modelType'>, w: tf.Tensor): { inF: number; outF: number } {
  const [d0, d1] = w.shape;
  return linearLayout(config) === 'in_out' ? { inF: d0, outF: d1 } : { inF: d1, outF: d0 };
}

export function isLinearWeight(name: string, v: tf.Tensor): boolean {
  return v.rank === 2 && name.endsWith('.weight') && !EMBEDDING.test(name);
}

function targetMatches(target: string, weightName: string): boolean {
  const module = weightName.slice(0, -'.weight'.length);
  if (HEAD.test(weightName)) return target === 'lm_head' || module === target;
  if (target === 'all-linear') return true;
  if (target.length > 2 && target.startsWith('/') && target.endsWith('/')) return new RegExp(target.slice(1, -1)).test(weightName);
  if (module === target || module.endsWith(`.${target}`)) return true;
  return `.${module}.`.includes(`.${target}.`);
}

/** Names of the linear weights the targets select (sorted, so creation order — and seeded init — is stable). */
export function loraTargetWeights(model: CausalLM, targets: string[]): string[] {
  return [...model.params.keys()].filter((n) => isLinearWeight(n, model.params.get(n)!) && targets.some((t) => targetMatches(t, n))).sort();
}

export function validateLoraOptions(o: LoraOptions): void {
  if (o === null || typeof o !== 'object') throw new TypeError('lora options must be an object { rank, alpha, targets, seed }');
  if (!Number.isInteger(o.rank) || o.rank <= 0) throw new RangeError(`lora.rank must be a positive integer, got ${o.rank}`);
  if (typeof o.alpha !== 'number' || !Number.isFinite(o.alpha) || o.alpha <= 0) throw new RangeError(`lora.alpha must be a positive number, got ${o.alpha}`);
  if (!Array.isArray(o.targets) || o.targets.length === 0 || !o.targets.every((t) => typeof t === 'string' && t.length > 0)) {
    throw new TypeError(`lora.targets must be a non-empty array of strings, got ${JSON.stringify(o.targets)}`);
  }
  if (!Number.isInteger(o.seed)) throw new TypeError(`lora.seed must be an integer, got ${o.seed}`);
}

/**
 * Adds adapters to every targeted linear weight. A ~ U(−1/√in, 1/√in) (PEFT's kaiming_uniform(a=√5)
 * bound) from a seeded portable PRNG; B = 0. Returns the adapted weight names.
 */
export function addLora(model: CausalLM, opts: LoraOptions): string[] {
  validateLoraOptions(opts);
  const names = loraTargetWeights(model, opts.targets);
  if (names.length === 0) {
    throw new Error(`lora.targets ${JSON.stringify(opts.targets)} match no linear layer of this ${model.config.modelType} model`);
  }
  const rng = xoroshiro128plus(opts.seed);
  for (const name of names) {
    if (model.adapters.has(name)) throw new Error(`${name} already has a LoRA adapter`);
    const { inF, outF } = linearDims(model.config, model.params.get(name)!);
    const bound = 1 / Math.sqrt(inF);
    const a = tf.variable(tf.tensor2d(uniformArray(rng, opts.rank * inF, -bound, bound), [opts.rank, inF]), true);
    const b = tf.variable(tf.zeros([outF, opts.rank]), true);
    model.adapters.set(name, { a, b, scale: opts.alpha / opts.rank });
  }
  return names;
}

/** scale · B·A in the weight's own storage layout. */
export function loraDelta(config: Pick<ModelConfig, 'modelType'>, ad: LoraAdapter): tf.Tensor2D {
  return tf.tidy(() => {
    const ba = tf.matMul(ad.b, ad.a); // [out, in]
    return tf.mul(linearLayout(config) === 'in_out' ? tf.transpose(ba) : ba, ad.scale) as tf.Tensor2D;
  });
}

/** Folds every adapter into its base weight and removes (disposes) the adapters: the model is a plain HF model again. */
export function mergeLora(model: CausalLM): void {
  for (const [name, ad] of model.adapters) {
    const w = model.params.get(name);
    if (!w) throw new Error(`LoRA adapter for ${name}, but the model has no such parameter`);
    tf.tidy(() => w.assign(tf.add(w, loraDelta(model.config, ad))));
  }
  removeLora(model);
}

/**
 * Saves the model with every adapter folded in (config.json + model.safetensors: a plain HF model)
 * while leaving the live model and its adapters untouched, so LoRA training can go on.
 */
export function saveMergedModel(model: CausalLM, dir: string, opts: { copyFilesFrom?: string } = {}): void {
  const merged = new Map<string, tf.Tensor>();
  try {
    for (const [name, w] of model.params) {
      const ad = model.adapters.get(name);
      merged.set(name, ad ? tf.tidy(() => tf.add(w, loraDelta(model.config, ad))) : w);
    }
    const view = { ...model, config: model.config, params: merged as Map<string, tf.Variable>, adapters: new Map<string, LoraAdapter>() } as CausalLM;
    saveModel(view, dir, { copyFilesFrom: opts.copyFilesFrom });
  } finally {
    for (const [name, t] of merged) if (model.adapters.has(name)) t.dispose();
  }
}

/** Drops adapters without merging. */
export function removeLora(model: CausalLM): void {
  for (const ad of model.adapters.values()) {
    ad.a.dispose();
    ad.b.dispose();
  }
  model.adapters.clear();
}

/** PEFT's tensor names: base_model.model.<module>.lora_A.weight [r, in] / lora_B.weight [out, r]. */
export function peftName(weightName: string, which: 'A' | 'B'): string {
  return `base_model.model.${weightName.slice(0, -'.weight'.length)}.lora_${which}.weight`;
}

const PEFT_RE = /^base_model\.model\.(.+)\.lora_([AB])\.weight$/;

export function parsePeftName(name: string): { weightName: string; which: 'A' | 'B' } | undefined {
  const m = PEFT_RE.exec(name);
  return m ? { weightName: `${m[1]}.weight`, which: m[2] as 'A' | 'B' } : undefined;
}

/** adapter_config.json as PEFT writes it (enough for peft.PeftModel.from_pretrained). */
export function peftAdapterConfig(model: CausalLM, opts: LoraOptions, baseModel = ''): Record<string, unknown> {
  const modules = [...model.adapters.keys()].map((n) => n.slice(0, -'.weight'.length));
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: baseModel,
    r: opts.rank,
    lora_alpha: opts.alpha,
    lora_dropout: 0,
    bias: 'none',
    fan_in_fan_out: linearLayout(model.config) === 'in_out',
    target_modules: modules,
    inference_mode: false,
    rimwatch: { targets: opts.targets, seed: opts.seed },
  };
}
