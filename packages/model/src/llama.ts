/**
 * Llama family (HF LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM), nanoGPT
 * style: pre-RMSNorm blocks, rotary position embeddings (rotate_half convention), grouped-query
 * attention, SwiGLU MLP; Qwen3 adds per-head RMSNorm on q and k; Qwen2 has q/k/v biases.
 * nn.Linear weights are [out, in].
 * Shapes: B batch, T tokens, S keys (past + new), D hidden, H query heads, K kv heads, hd head_dim,
 * F intermediate_size, V vocab. Mistral's sliding window (config sliding_window) masks keys more than
 * `window` tokens back, in every layer.
 */
import * as tf from '@tensorflow/tfjs';
import { TransformerLM } from './base';
import { matMul2d, attention, attentionBias, checkInputs, defaultPoolMask, HookSet, linear, param, positionIds, rmsNorm, silu, tidyForward } from './layers';
import type { ForwardOptions, ForwardResult, KVCache, ModelConfig } from './types';

/** Rotary inverse frequencies [hd/2] (float32 like HF), with linear / llama3 scaling. */
export function ropeInvFreq(c: ModelConfig): Float32Array {
  const hd = c.headDim;
  const theta = c.ropeTheta ?? 10000;
  const inv = new Float32Array(hd / 2);
  for (let i = 0; i < hd / 2; i++) inv[i] = 1 / Math.pow(theta, (2 * i) / hd);
  const s = c.ropeScaling;
  if (s?.type === 'linear') for (let i = 0; i < inv.length; i++) inv[i] /= s.factor;
  if (s?.type === 'llama3') {
    // transformers' _compute_llama3_parameters
    const lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
    const highWavelen = s.originalMaxPositions / s.highFreqFactor;
    for (let i = 0; i < inv.length; i++) {
      const wavelen = (2 * Math.PI) / inv[i];
      if (wavelen > lowWavelen) inv[i] /= s.factor;
      else if (wavelen >= highWavelen) {
        const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
        inv[i] = (1 - smooth) * (inv[i] / s.factor) + smooth * inv[i];
      }
    }
  }
  return inv;
}

/** cos, sin [B|1, 1, T, hd] for positions [B|1, T]. */
function rotary(invFreq: Float32Array, pos: tf.Tensor2D): { cos: tf.Tensor; sin: tf.Tensor } {
  const [pb, t] = pos.shape;
  const angles = tf.mul(tf.cast(pos, 'float32').reshape([pb, t, 1]), tf.tensor1d(invFreq).reshape([1, 1, -1])); // [B, T, hd/2]
  const emb = tf.concat([angles, angles], -1).reshape([pb, 1, t, invFreq.length * 2]); // [B, 1, T, hd]
  return { cos: tf.cos(emb), sin: tf.sin(emb) };
}

/** x * cos + rotate_half(x) * sin, rotate_half(x) = [-x2, x1]. x [B, H, T, hd] */
function applyRotary(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor4D {
  const [x1, x2] = tf.split(x, 2, -1);
  return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2), x1], -1), sin)) as tf.Tensor4D;
}

export class Llama extends TransformerLM {
  private readonly invFreq = ropeInvFreq(this.config);

  /** HF parameter names and shapes, as in model.safetensors */
  static paramShapes(c: ModelConfig): Map<string, number[]> {
    const D = c.hiddenSize;
    const F = c.intermediateSize;
    const q = c.numHeads * c.headDim;
    const kv = c.numKvHeads * c.headDim;
    const s = new Map<string, number[]>([['model.embed_tokens.weight', [c.vocabSize, D]]]);
    for (let i = 0; i < c.numLayers; i++) {
      const p = `model.layers.${i}`;
      s.set(`${p}.input_layernorm.weight`, [D]);
      s.set(`${p}.self_attn.q_proj.weight`, [q, D]);
      s.set(`${p}.self_attn.k_proj.weight`, [kv, D]);
      s.set(`${p}.self_attn.v_proj.weight`, [kv, D]);
      if (c.qkvBias) {
        s.set(`${p}.self_attn.q_proj.bias`, [q]);
        s.set(`${p}.self_attn.k_proj.bias`, [kv]);
        s.set(`${p}.self_attn.v_proj.bias`, [kv]);
      }
      if (c.qkNorm) {
        s.set(`${p}.self_attn.q_norm.weight`, [c.headDim]);
        s.set(`${p}.self_attn.k_norm.weight`, [c.headDim]);
      }
      s.set(`${p}.self_attn.o_proj.weight`, [D, q]);
      if (c.oBias) s.set(`${p}.self_attn.o_proj.bias`, [D]);
      s.set(`${p}.post_attention_layernorm.weight`, [D]);
      s.set(`${p}.mlp.gate_proj.weight`, [F, D]);
      s.set(`${p}.mlp.up_proj.weight`, [F, D]);
      s.set(`${p}.mlp.down_proj.weight`, [D, F]);
      if (c.mlpBias) {
        s.set(`${p}.mlp.gate_proj.bias`, [F]);
        s.set(`${p}.mlp.up_proj.bias`, [F]);
        s.set(`${p}.mlp.down_proj.bias`, [D]);
      }
    }
    s.set('model.norm.weight', [D]);
    if (!c.tieWordEmbeddings) s.set('lm_head.weight', [c.vocabSize, D]);
    return s;
  }

  forward(inputIds: tf.Tensor2D, opts: ForwardOptions = {}): ForwardResult {
    const c = this.config;
    const { b, t, past } = checkInputs(inputIds, opts);
    const hooks = new HookSet(opts.hooks, c.numLayers);
    const pool = opts.pool ?? 'none';
    const [H, K, hd, eps] = [c.numHeads, c.numKvHeads, c.headDim, c.normEps];
    const wantLogits = opts.logits !== false;
    const bias = (p: string, name: string, on: boolean) => (on ? `${p}.${name}.bias` : undefined);
    return tidyForward(() => {
      const poolMask = defaultPoolMask(opts, t);
      const { cos, sin } = rotary(this.invFreq, positionIds(opts, t, past)); // [B|1, 1, T, hd]
      let x: tf.Tensor = tf.gather(param(this, 'model.embed_tokens.weight'), tf.cast(inputIds, 'int32')); // [B, T, D]
      const mask = attentionBias(this.masks, t, past + t, opts.attentionMask, c.slidingWindow); // [B|1, 1, T, S]
      const newCache: KVCache['layers'] = [];
      const lastLayer = wantLogits || opts.useCache ? c.numLayers - 1 : hooks.lastLayer;
      for (let i = 0; i <= lastLayer; i++) {
        const p = `model.layers.${i}`;
        const a = `${p}.self_attn`;
        // attention
        const h1 = rmsNorm(x, param(this, `${p}.input_layernorm.weight`), eps);
        let q = linear(this, h1, `${a}.q_proj.weight`, { bias: bias(a, 'q_proj', c.qkvBias) }).reshape([b, t, H, hd]);
        let kNew = linear(this, h1, `${a}.k_proj.weight`, { bias: bias(a, 'k_proj', c.qkvBias) }).reshape([b, t, K, hd]);
        const vNew = linear(this, h1, `${a}.v_proj.weight`, { bias: bias(a, 'v_proj', c.qkvBias) }).reshape([b, t, K, hd]);
        if (c.qkNorm) {
          q = rmsNorm(q, param(this, `${a}.q_norm.weight`), eps); // per head, over hd
          kNew = rmsNorm(kNew, param(this, `${a}.k_norm.weight`), eps);
        }
        const qr = applyRotary(tf.transpose(q, [0, 2, 1, 3]), cos, sin); // [B, H, T, hd]
        let k = applyRotary(tf.transpose(kNew, [0, 2, 1, 3]), cos, sin); // [B, K, T, hd]
        let v = tf.transpose(vNew, [0, 2, 1, 3]) as tf.Tensor4D;
        if (opts.cache) {
          k = tf.concat([opts.cache.layers[i].k, k], 2) as tf.Tensor4D; // [B, K, S, hd]
          v = tf.concat([opts.cache.layers[i].v, v], 2) as tf.Tensor4D;
        }
        if (opts.useCache) newCache.push({ k, v });
        const att = attention(qr, k, v, mask, 1 / Math.sqrt(hd)); // out [B, T, H*hd], probs [B, H, T, S]
        hooks.add(`blocks.${i}.attn.hook_pattern`, att.probs, pool, poolMask);
        x = tf.add(x, linear(this, att.out, `${a}.o_proj.weight`, { bias: bias(a, 'o_proj', c.oBias) }));
        // SwiGLU MLP
        const h2 = rmsNorm(x, param(this, `${p}.post_attention_layernorm.weight`), eps);
        const gate = linear(this, h2, `${p}.mlp.gate_proj.weight`, { bias: bias(`${p}.mlp`, 'gate_proj', c.mlpBias) }); // [B, T, F]
        const up = linear(this, h2, `${p}.mlp.up_proj.weight`, { bias: bias(`${p}.mlp`, 'up_proj', c.mlpBias) });
        const act = tf.mul(silu(gate), up); // the MLP neurons
        hooks.add(`blocks.${i}.mlp.hook_post`, act, pool, poolMask);
        x = tf.add(x, linear(this, act, `${p}.mlp.down_proj.weight`, { bias: bias(`${p}.mlp`, 'down_proj', c.mlpBias) }));
        hooks.add(`blocks.${i}.hook_resid_post`, x, pool, poolMask);
      }
      let logits: tf.Tensor3D;
      if (wantLogits) {
        const xf = rmsNorm(x, param(this, 'model.norm.weight'), eps);
        logits = (
          c.tieWordEmbeddings
            ? matMul2d(xf.reshape([b * t, c.hiddenSize]), param(this, 'model.embed_tokens.weight') as tf.Tensor2D, true).reshape([b, t, c.vocabSize])
            : linear(this, xf, 'lm_head.weight')
        ) as tf.Tensor3D;
      } else logits = tf.zeros([b, t, 0]);
      return { logits, hooks: hooks.out, cache: opts.useCache ? { layers: newCache, length: past + t } : undefined };
    });
  }
}
