/**
 * A tiny CausalLM for trainer tests (fast, no checkpoint needed): tied embedding (one-hot matmul, so
 * its gradient works on every backend), a causal "previous token" mix, a 2-layer ReLU MLP whose
 * linears honour LoRA adapters, in either Llama ([out, in]) or GPT-2 Conv1D ([in, out]) layout.
 */
import * as tf from '@tensorflow/tfjs';
import { makeLayout } from '@rimwatch/contracts';
import type { CausalLM, ForwardOptions, ForwardResult, LoraAdapter, ModelConfig } from '../../src/types';

export interface TinyOptions {
  style?: 'llama' | 'gpt2';
  vocab?: number;
  d?: number;
  dff?: number;
  seed?: number;
}

export function tinyNames(style: 'llama' | 'gpt2') {
  return style === 'gpt2'
    ? { emb: 'transformer.wte.weight', up: 'transformer.h.0.mlp.c_fc.weight', down: 'transformer.h.0.mlp.c_proj.weight', mix: 'transformer.h.0.attn.c_proj.weight', bias: 'transformer.h.0.mlp.c_fc.bias' }
    : { emb: 'model.embed_tokens.weight', up: 'model.layers.0.mlp.up_proj.weight', down: 'model.layers.0.mlp.down_proj.weight', mix: 'model.layers.0.self_attn.o_proj.weight', bias: 'model.norm.weight' };
}

export function tinyModel(o: TinyOptions = {}): CausalLM {
  const style = o.style ?? 'llama';
  const V = o.vocab ?? 32;
  const d = o.d ?? 16;
  const dff = o.dff ?? 24;
  const seed = o.seed ?? 1;
  const n = tinyNames(style);
  const inOut = style === 'gpt2';
  const params = new Map<string, tf.Variable>();
  const init = (name: string, shape: number[], s: number) => params.set(name, tf.variable(tf.randomNormal(shape, 0, 1, 'float32', seed + params.size), true, undefined));
  init(n.emb, [V, d], 1);
  init(n.up, inOut ? [d, dff] : [dff, d], 1);
  init(n.down, inOut ? [dff, d] : [d, dff], 1);
  init(n.mix, [d, d], 1);
  init(n.bias, [style === 'gpt2' ? dff : d], 1);
  for (const [k, v] of params) if (v.rank === 2) v.assign(tf.mul(v, k === n.emb ? 0.5 : 1 / Math.sqrt(v.shape[0])));
  const adapters = new Map<string, LoraAdapter>();
  const config: ModelConfig = {
    modelType: style === 'gpt2' ? 'gpt2' : 'llama',
    vocabSize: V,
    hiddenSize: d,
    numLayers: 1,
    numHeads: 1,
    numKvHeads: 1,
    headDim: d,
    intermediateSize: dff,
    maxPositions: 1024,
    normEps: 1e-5,
    tieWordEmbeddings: true,
    activation: style === 'gpt2' ? 'gelu_new' : 'silu',
    qkvBias: false,
    oBias: false,
    mlpBias: false,
    qkNorm: false,
    raw: { model_type: style, vocab_size: V },
  };
  const linear = (x: tf.Tensor2D, name: string): tf.Tensor2D => {
    const w = params.get(name)!;
    let y: tf.Tensor2D = tf.matMul(x, w, false, !inOut);
    const ad = adapters.get(name);
    if (ad) y = tf.add<tf.Tensor2D>(y, tf.mul(tf.matMul(tf.matMul(x, ad.a, false, true), ad.b, false, true), ad.scale));
    return y;
  };
  return {
    config,
    params,
    adapters,
    neuronLayout: makeLayout([dff]),
    forward(inputIds: tf.Tensor2D, _opts?: ForwardOptions): ForwardResult {
      return tf.tidy(() => {
        const [B, T] = inputIds.shape;
        const emb = params.get(n.emb)!;
        const x = tf.matMul(tf.oneHot(tf.cast(inputIds, 'int32').reshape([-1]), V), emb) as tf.Tensor2D; // [B*T, d]
        // causal mix: h_t = x_t + mix(x_{t-1})
        const prev = tf.pad(x.reshape([B, T, d]).slice([0, 0, 0], [B, T - 1, d]), [[0, 0], [1, 0], [0, 0]]).reshape([B * T, d]) as tf.Tensor2D;
        const h0 = tf.add(x, linear(prev, n.mix)) as tf.Tensor2D;
        let a = linear(h0, n.up);
        if (style === 'gpt2') a = tf.add(a, params.get(n.bias)!);
        const h = tf.add(h0, linear(tf.relu(a) as tf.Tensor2D, n.down));
        const hn = style === 'gpt2' ? h : tf.mul(h, params.get(n.bias)!);
        const logits = tf.matMul(hn, emb, false, true).reshape([B, T, V]) as tf.Tensor3D;
        return { logits, hooks: {} };
      });
    },
    dispose() {
      for (const v of params.values()) v.dispose();
      for (const ad of adapters.values()) {
        ad.a.dispose();
        ad.b.dispose();
      }
    },
  };
}

/** Deterministic toy dataset: prompt then a response following a fixed rule, so there is something to learn. */
export function toyDataset(count: number, vocab = 32, seed = 7): { ids: number[]; promptLength: number }[] {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const out: { ids: number[]; promptLength: number }[] = [];
  for (let i = 0; i < count; i++) {
    const promptLength = 2 + Math.floor(rnd() * 4);
    const respLength = 2 + Math.floor(rnd() * 6);
    const ids: number[] = [];
    for (let t = 0; t < promptLength; t++) ids.push(1 + Math.floor(rnd() * (vocab - 1)));
    for (let t = 0; t < respLength; t++) ids.push(1 + ((ids[ids.length - 1] * 3 + 1) % (vocab - 1)));
    out.push({ ids, promptLength });
  }
  return out;
}
