/**
 * The contract between the architectures (gpt2.ts, llama.ts), the trainer and the probes.
 * Parameters are tf.Variables keyed by their Hugging Face names, so loading, saving, gradients
 * (`grad.<name>`) and LoRA targets all speak the same language as transformers.
 */
import type * as tf from '@tensorflow/tfjs';
import type { NeuronLayout } from '@rimwatch/contracts';

export type ModelType = 'gpt2' | 'llama' | 'qwen3' | 'qwen2' | 'mistral';

/** Normalised config (read from HF config.json by config.ts). */
export interface ModelConfig {
  modelType: ModelType;
  vocabSize: number;
  hiddenSize: number; // d_model
  numLayers: number;
  numHeads: number;
  numKvHeads: number; // == numHeads for GPT-2
  headDim: number;
  intermediateSize: number; // d_mlp (neurons per layer)
  maxPositions: number;
  normEps: number;
  ropeTheta?: number;
  tieWordEmbeddings: boolean;
  bosTokenId?: number;
  eosTokenId?: number | number[];
  padTokenId?: number;
  /** MLP activation: gelu_new (GPT-2), gelu (exact erf) or silu (Llama family SwiGLU) */
  activation: 'gelu_new' | 'gelu' | 'silu';
  /** Llama family: bias on q/k/v projections (Qwen2: true; Llama: attention_bias) */
  qkvBias: boolean;
  /** Llama family: bias on o_proj (Llama attention_bias) */
  oBias: boolean;
  /** Llama family: bias on gate/up/down (mlp_bias) */
  mlpBias: boolean;
  /** Qwen3: per-head RMSNorm of q and k before rotary */
  qkNorm: boolean;
  /** rotary scaling beyond 'default' */
  ropeScaling?: RopeScaling;
  /** Mistral sliding_window: a query sees at most this many keys (itself included) */
  slidingWindow?: number;
  /** GPT-2 scale_attn_by_inverse_layer_idx */
  scaleAttnByInverseLayerIdx?: boolean;
  /** the original config.json object, written back unchanged (plus our edits) on save */
  raw: Record<string, unknown>;
}

export type RopeScaling =
  | { type: 'linear'; factor: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number };

/** Hook points, TransformerLens names: blocks.{i}.mlp.hook_post, blocks.{i}.attn.hook_pattern, blocks.{i}.hook_resid_post */
export type HookName = string;
export type Pooling = 'max' | 'mean' | 'last' | 'none';

/** A LoRA adapter on one linear layer: y = x W^T + (x A^T B^T) * scale. A: [r, in], B: [out, r]. */
export interface LoraAdapter {
  a: tf.Variable; // [rank, in]
  b: tf.Variable; // [out, rank]
  scale: number; // alpha / rank
}

export interface KVCache {
  /** per layer: keys/values [batch, kvHeads, pastLen, headDim] */
  layers: { k: tf.Tensor4D; v: tf.Tensor4D }[];
  length: number;
}

export interface ForwardOptions {
  /**
   * [batch, seq] 1 = real token, 0 = padding (left padding for generation). With a cache it covers
   * past + new tokens: [batch, cache.length + seq] (as in HF transformers).
   */
  attentionMask?: tf.Tensor2D;
  /** hook names to return; anything not listed is not kept (memory stays bounded) */
  hooks?: HookName[];
  /** token-wise pooling of hook outputs, done on the backend; default 'none' */
  pool?: Pooling;
  /** [batch, seq] 1 = token takes part in pooling (defaults to attentionMask) */
  poolMask?: tf.Tensor2D;
  /** past keys/values; when given, inputIds are the new tokens only */
  cache?: KVCache;
  /** return an updated cache */
  useCache?: boolean;
  /**
   * [batch, seq] positions of the input tokens. Default: from attentionMask (cumsum - 1, so left
   * padding does not shift positions; with a cache the mask covers past + new tokens), else
   * cache.length + arange(seq).
   */
  positionIds?: tf.Tensor2D;
  /**
   * default true. false: skip the final norm and vocabulary projection (and any layer after the last
   * requested hook); `logits` is then an empty [batch, seq, 0] tensor. For activation capture.
   */
  logits?: boolean;
}

export interface ForwardResult {
  logits: tf.Tensor3D; // [batch, seq, vocab]
  hooks: Record<HookName, tf.Tensor>; // pooled: [batch, features]; else [batch, seq, features] or [batch, heads, seq, seq]
  cache?: KVCache;
}

export interface CausalLM {
  readonly config: ModelConfig;
  /** trainable and frozen parameters by HF name */
  readonly params: Map<string, tf.Variable>;
  /** LoRA adapters by the HF name of the linear weight they adapt (e.g. 'model.layers.0.mlp.up_proj.weight') */
  readonly adapters: Map<string, LoraAdapter>;
  /** MLP neuron layout: numLayers x intermediateSize */
  readonly neuronLayout: NeuronLayout;
  forward(inputIds: tf.Tensor2D, opts?: ForwardOptions): ForwardResult;
  dispose(): void;
}
