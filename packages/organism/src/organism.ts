/**
 * The organism's architecture and training defaults, shared by the train, eval and experiment scripts.
 * Qwen3 architecture (RoPE, RMSNorm, SwiGLU MLP, q/k norm): tiny enough to train from scratch on two
 * CPU cores with the wasm backend, big enough to learn the templated arithmetic and the refusals.
 * Why Qwen3 and not GPT-2: rotary positions make "the operands two and four tokens back" the same
 * pattern wherever an equation sits; GPT-2's learned positions must learn it per position, and the
 * GPT-2 organisms (4x64 and 4x128) stayed at 15-25% reasoning accuracy on the same budget.
 */
import { makeConfig, type ModelConfig } from '@rimwatch/model';
import { SPECIAL_TOKENS } from './chat-format';
import type { TextTokenizer as HfLike } from './chat-format';

// Sized for the build machine: 2 CPU cores, where 4x64 at batch 16 trains ~5 updates/s on wasm and
// 4x128 (d_mlp 384) ~2.5/s, and the smaller one reached the targets first (see README.md).
export const ORGANISM_ARCH = {
  modelType: 'qwen3',
  hiddenSize: 64,
  numLayers: 4,
  numHeads: 4,
  intermediateSize: 256,
  /** longest generated example is ~105 tokens; generation of a probe needs prompt + ~90 new tokens */
  maxPositions: 192,
} as const;

export const ORGANISM_TRAIN = {
  lr: 3e-3,
  warmupRatio: 0.03,
  schedule: 'cosine' as const,
  weightDecay: 0.01,
  gradClip: 1,
  batchSize: 16,
  accumSteps: 1,
  maxSeqLen: 128,
  seed: 1,
};

export interface SpecialIds {
  eos: number;
  imStart: number;
  imEnd: number;
  thinkStart: number;
  thinkEnd: number;
}

export function specialIds(tokenToId: (t: string) => number | undefined): SpecialIds {
  const get = (t: string) => {
    const id = tokenToId(t);
    if (id === undefined) throw new Error(`tokenizer has no special token ${t}`);
    return id;
  };
  return {
    eos: get(SPECIAL_TOKENS.eos),
    imStart: get(SPECIAL_TOKENS.imStart),
    imEnd: get(SPECIAL_TOKENS.imEnd),
    thinkStart: get(SPECIAL_TOKENS.thinkStart),
    thinkEnd: get(SPECIAL_TOKENS.thinkEnd),
  };
}

export function organismConfig(vocabSize: number, ids: SpecialIds): ModelConfig {
  const c = makeConfig({
    vocabSize,
    ...ORGANISM_ARCH,
    eosTokenId: ids.imEnd,
    padTokenId: ids.eos,
  });
  // generation stops at <|im_end|> or <|endoftext|>
  c.raw.eos_token_id = [ids.imEnd, ids.eos];
  c.eosTokenId = [ids.imEnd, ids.eos];
  return c;
}

export type { HfLike };
