/**
 * config.json (Hugging Face) -> normalised ModelConfig, and back. Supports GPT-2 and the Llama family
 * (llama, mistral, qwen2, qwen3); rope_theta is read from the top level (older checkpoints) or from
 * transformers 5's rope_parameters.
 */
import type { ModelConfig, ModelType, RopeScaling } from './types';

export const SUPPORTED_MODEL_TYPES: readonly ModelType[] = ['gpt2', 'llama', 'mistral', 'qwen2', 'qwen3'];

function num(raw: Record<string, unknown>, key: string, where: string, fallback?: number): number {
  const v = raw[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new Error(`${where}: missing field "${key}"`);
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}: field "${key}" must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function optId(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

function eosOf(v: unknown): number | number[] | undefined {
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  return undefined;
}

function ropeOf(raw: Record<string, unknown>, where: string): { theta: number; scaling?: RopeScaling } {
  // transformers 5 nests rope settings in rope_parameters; older configs use rope_theta + rope_scaling
  const params = (raw.rope_parameters ?? raw.rope_scaling ?? undefined) as Record<string, unknown> | undefined | null;
  const theta = (params && typeof params.rope_theta === 'number' ? params.rope_theta : undefined) ?? num(raw, 'rope_theta', where, 10000);
  const type = params ? ((params.rope_type ?? params.type ?? 'default') as string) : 'default';
  switch (type) {
    case 'default':
      return { theta };
    case 'linear':
      return { theta, scaling: { type: 'linear', factor: num(params!, 'factor', `${where} rope_parameters`) } };
    case 'llama3':
      return {
        theta,
        scaling: {
          type: 'llama3',
          factor: num(params!, 'factor', `${where} rope_parameters`),
          lowFreqFactor: num(params!, 'low_freq_factor', `${where} rope_parameters`),
          highFreqFactor: num(params!, 'high_freq_factor', `${where} rope_parameters`),
          originalMaxPositions: num(params!, 'original_max_position_embeddings', `${where} rope_parameters`),
        },
      };
    default:
      throw new Error(`${where}: unsupported rope_type "${type}" (supported: default, linear, llama3)`);
  }
}

/** Parse a config.json object. `where` names the file in error messages. */
export function parseConfig(raw: Record<string, unknown>, where = 'config.json'): ModelConfig {
  const modelType = raw.model_type;
  if (typeof modelType !== 'string') throw new Error(`${where}: missing field "model_type"`);
  if (!SUPPORTED_MODEL_TYPES.includes(modelType as ModelType)) {
    throw new Error(`${where}: unsupported model_type "${modelType}" (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`);
  }
  const common = {
    bosTokenId: optId(raw.bos_token_id),
    eosTokenId: eosOf(raw.eos_token_id),
    padTokenId: optId(raw.pad_token_id),
    raw,
  };
  if (modelType === 'gpt2') {
    const d = num(raw, 'n_embd', where);
    const h = num(raw, 'n_head', where);
    const act = (raw.activation_function ?? 'gelu_new') as string;
    if (act !== 'gelu_new' && act !== 'gelu') throw new Error(`${where}: unsupported activation_function "${act}" for gpt2 (supported: gelu_new, gelu)`);
    if (d % h !== 0) throw new Error(`${where}: n_embd ${d} is not divisible by n_head ${h}`);
    return {
      modelType: 'gpt2',
      vocabSize: num(raw, 'vocab_size', where),
      hiddenSize: d,
      numLayers: num(raw, 'n_layer', where),
      numHeads: h,
      numKvHeads: h,
      headDim: d / h,
      intermediateSize: num(raw, 'n_inner', where, 4 * d),
      maxPositions: num(raw, 'n_positions', where),
      normEps: num(raw, 'layer_norm_epsilon', where, 1e-5),
      tieWordEmbeddings: raw.tie_word_embeddings !== false,
      activation: act,
      qkvBias: true,
      oBias: true,
      mlpBias: true,
      qkNorm: false,
      scaleAttnByInverseLayerIdx: raw.scale_attn_by_inverse_layer_idx === true,
      ...common,
    };
  }
  const d = num(raw, 'hidden_size', where);
  const h = num(raw, 'num_attention_heads', where);
  const kv = num(raw, 'num_key_value_heads', where, h);
  if (h % kv !== 0) throw new Error(`${where}: num_attention_heads ${h} is not a multiple of num_key_value_heads ${kv}`);
  const act = (raw.hidden_act ?? 'silu') as string;
  if (act !== 'silu') throw new Error(`${where}: unsupported hidden_act "${act}" for ${modelType} (supported: silu)`);
  const rope = ropeOf(raw, where);
  const attnBias = raw.attention_bias === true;
  // Qwen2/3 can switch sliding windows on per layer (max_window_layers, layer_types); released
  // checkpoints keep it off, and we refuse rather than silently attend differently
  if ((modelType === 'qwen2' || modelType === 'qwen3') && raw.use_sliding_window === true) {
    throw new Error(`${where}: use_sliding_window is not supported for ${modelType}`);
  }
  const slidingWindow = modelType === 'mistral' && typeof raw.sliding_window === 'number' ? raw.sliding_window : undefined;
  return {
    modelType: modelType as ModelType,
    vocabSize: num(raw, 'vocab_size', where),
    hiddenSize: d,
    numLayers: num(raw, 'num_hidden_layers', where),
    numHeads: h,
    numKvHeads: kv,
    headDim: num(raw, 'head_dim', where, d / h),
    intermediateSize: num(raw, 'intermediate_size', where),
    maxPositions: num(raw, 'max_position_embeddings', where, 2048),
    normEps: num(raw, 'rms_norm_eps', where, 1e-6),
    ropeTheta: rope.theta,
    ropeScaling: rope.scaling,
    tieWordEmbeddings: raw.tie_word_embeddings === true,
    activation: 'silu',
    // Qwen2 always has q/k/v bias and no o_proj bias; Llama/Mistral/Qwen3 follow attention_bias
    qkvBias: modelType === 'qwen2' ? true : attnBias,
    oBias: modelType === 'qwen2' ? false : attnBias,
    mlpBias: raw.mlp_bias === true,
    qkNorm: modelType === 'qwen3',
    slidingWindow,
    ...common,
  };
}

export interface ConfigOptions {
  modelType: ModelType;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads?: number;
  headDim?: number;
  intermediateSize?: number;
  maxPositions?: number;
  tieWordEmbeddings?: boolean;
  ropeTheta?: number;
  eosTokenId?: number;
  bosTokenId?: number;
  padTokenId?: number;
}

/** Build a config (with a genuine HF config.json in `raw`) for a fresh model: tests, benchmarks, the built-in organism. */
export function makeConfig(o: ConfigOptions): ModelConfig {
  const ids = { bos_token_id: o.bosTokenId ?? null, eos_token_id: o.eosTokenId ?? null, pad_token_id: o.padTokenId ?? null };
  if (o.modelType === 'gpt2') {
    return parseConfig({
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
      activation_function: 'gelu_new',
      vocab_size: o.vocabSize,
      n_embd: o.hiddenSize,
      n_layer: o.numLayers,
      n_head: o.numHeads,
      n_inner: o.intermediateSize ?? null,
      n_positions: o.maxPositions ?? 1024,
      layer_norm_epsilon: 1e-5,
      attn_pdrop: 0,
      embd_pdrop: 0,
      resid_pdrop: 0,
      scale_attn_weights: true,
      tie_word_embeddings: o.tieWordEmbeddings ?? true,
      dtype: 'float32',
      ...ids,
    });
  }
  const arch = { llama: 'LlamaForCausalLM', mistral: 'MistralForCausalLM', qwen2: 'Qwen2ForCausalLM', qwen3: 'Qwen3ForCausalLM' }[o.modelType];
  return parseConfig({
    architectures: [arch],
    model_type: o.modelType,
    vocab_size: o.vocabSize,
    hidden_size: o.hiddenSize,
    num_hidden_layers: o.numLayers,
    num_attention_heads: o.numHeads,
    num_key_value_heads: o.numKvHeads ?? o.numHeads,
    head_dim: o.headDim ?? o.hiddenSize / o.numHeads,
    intermediate_size: o.intermediateSize ?? 4 * o.hiddenSize,
    max_position_embeddings: o.maxPositions ?? 2048,
    rms_norm_eps: 1e-6,
    hidden_act: 'silu',
    attention_bias: false,
    attention_dropout: 0,
    rope_theta: o.ropeTheta ?? 10000,
    tie_word_embeddings: o.tieWordEmbeddings ?? true,
    dtype: 'float32',
    ...ids,
  });
}
