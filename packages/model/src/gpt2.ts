/**
 * GPT-2 (HF GPT2LMHeadModel), nanoGPT style. Learned positions, pre-LayerNorm blocks, GELU-new MLP,
 * lm_head tied to wte. HF's Conv1D stores weights [in, out].
 * Shapes: B batch, T tokens, S keys (past + new), D n_embd, H heads, hd = D/H, F n_inner (4D), V vocab.
 */
import * as tf from '@tensorflow/tfjs';
import { TransformerLM } from './base';
import { matMul2d, attention, attentionBias, checkInputs, defaultPoolMask, gelu, geluNew, HookSet, layerNorm, linear, param, positionIds, splitHeads, tidyForward } from './layers';
import type { ForwardOptions, ForwardResult, KVCache, ModelConfig } from './types';

export class GPT2 extends TransformerLM {
  /** HF parameter names and shapes, as in model.safetensors */
  static paramShapes(c: ModelConfig): Map<string, number[]> {
    const D = c.hiddenSize;
    const F = c.intermediateSize;
    const s = new Map<string, number[]>([
      ['transformer.wte.weight', [c.vocabSize, D]],
      ['transformer.wpe.weight', [c.maxPositions, D]],
    ]);
    for (let i = 0; i < c.numLayers; i++) {
      const p = `transformer.h.${i}`;
      s.set(`${p}.ln_1.weight`, [D]);
      s.set(`${p}.ln_1.bias`, [D]);
      s.set(`${p}.attn.c_attn.weight`, [D, 3 * D]);
      s.set(`${p}.attn.c_attn.bias`, [3 * D]);
      s.set(`${p}.attn.c_proj.weight`, [D, D]);
      s.set(`${p}.attn.c_proj.bias`, [D]);
      s.set(`${p}.ln_2.weight`, [D]);
      s.set(`${p}.ln_2.bias`, [D]);
      s.set(`${p}.mlp.c_fc.weight`, [D, F]);
      s.set(`${p}.mlp.c_fc.bias`, [F]);
      s.set(`${p}.mlp.c_proj.weight`, [F, D]);
      s.set(`${p}.mlp.c_proj.bias`, [D]);
    }
    s.set('transformer.ln_f.weight', [D]);
    s.set('transformer.ln_f.bias', [D]);
    if (!c.tieWordEmbeddings) s.set('lm_head.weight', [c.vocabSize, D]);
    return s;
  }

  forward(inputIds: tf.Tensor2D, opts: ForwardOptions = {}): ForwardResult {
    const c = this.config;
    const { b, t, past } = checkInputs(inputIds, opts);
    const hooks = new HookSet(opts.hooks, c.numLayers);
    const pool = opts.pool ?? 'none';
    const H = c.numHeads;
    const hd = c.headDim;
    const wantLogits = opts.logits !== false;
    if (past + t > c.maxPositions) throw new Error(`sequence length ${past + t} exceeds n_positions ${c.maxPositions}`);
    return tidyForward(() => {
      const poolMask = defaultPoolMask(opts, t);
      const pos = positionIds(opts, t, past); // [B|1, T]
      const ids = tf.cast(inputIds, 'int32');
      let x: tf.Tensor = tf.add(tf.gather(param(this, 'transformer.wte.weight'), ids), tf.gather(param(this, 'transformer.wpe.weight'), pos)); // [B, T, D]
      const bias = attentionBias(this.masks, t, past + t, opts.attentionMask); // [B|1, 1, T, S]
      const newCache: KVCache['layers'] = [];
      const lastLayer = wantLogits || opts.useCache ? c.numLayers - 1 : hooks.lastLayer;
      for (let i = 0; i <= lastLayer; i++) {
        const p = `transformer.h.${i}`;
        // attention
        const h1 = layerNorm(x, param(this, `${p}.ln_1.weight`), param(this, `${p}.ln_1.bias`), c.normEps);
        const qkv = linear(this, h1, `${p}.attn.c_attn.weight`, { bias: `${p}.attn.c_attn.bias`, conv1d: true }); // [B, T, 3D]
        const [q, kNew, vNew] = tf.split(qkv, 3, -1).map((z) => splitHeads(z, H, hd)); // [B, H, T, hd]
        let k = kNew;
        let v = vNew;
        if (opts.cache) {
          k = tf.concat([opts.cache.layers[i].k, kNew], 2) as tf.Tensor4D; // [B, H, S, hd]
          v = tf.concat([opts.cache.layers[i].v, vNew], 2) as tf.Tensor4D;
        }
        if (opts.useCache) newCache.push({ k, v });
        const scale = 1 / Math.sqrt(hd) / (c.scaleAttnByInverseLayerIdx ? i + 1 : 1);
        const att = attention(q, k, v, bias, scale); // out [B, T, D], probs [B, H, T, S]
        hooks.add(`blocks.${i}.attn.hook_pattern`, att.probs, pool, poolMask);
        x = tf.add(x, linear(this, att.out, `${p}.attn.c_proj.weight`, { bias: `${p}.attn.c_proj.bias`, conv1d: true }));
        // MLP
        const h2 = layerNorm(x, param(this, `${p}.ln_2.weight`), param(this, `${p}.ln_2.bias`), c.normEps);
        const pre = linear(this, h2, `${p}.mlp.c_fc.weight`, { bias: `${p}.mlp.c_fc.bias`, conv1d: true }); // [B, T, F]
        const act = c.activation === 'gelu' ? gelu(pre) : geluNew(pre); // the MLP neurons
        hooks.add(`blocks.${i}.mlp.hook_post`, act, pool, poolMask);
        x = tf.add(x, linear(this, act, `${p}.mlp.c_proj.weight`, { bias: `${p}.mlp.c_proj.bias`, conv1d: true }));
        hooks.add(`blocks.${i}.hook_resid_post`, x, pool, poolMask);
      }
      let logits: tf.Tensor3D;
      if (wantLogits) {
        const xf = layerNorm(x, param(this, 'transformer.ln_f.weight'), param(this, 'transformer.ln_f.bias'), c.normEps);
        logits = (
          c.tieWordEmbeddings
            ? matMul2d(xf.reshape([b * t, c.hiddenSize]), param(this, 'transformer.wte.weight') as tf.Tensor2D, true).reshape([b, t, c.vocabSize])
            : linear(this, xf, 'lm_head.weight')
        ) as tf.Tensor3D;
      } else logits = tf.zeros([b, t, 0]);
      const cache = opts.useCache ? { layers: newCache, length: past + t } : undefined;
      return { logits, hooks: hooks.out, cache };
    });
  }
}
