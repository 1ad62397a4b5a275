/**
 * Training data: pre-tokenized examples -> right-padded batches with a response-only loss mask, and a
 * seeded, resumable data order.
 *
 * Loss mask convention (shared with loss.ts `causalLmLoss`): mask[b, t] = 1 when token t is a TARGET
 * that counts, i.e. the logits at position t-1 are trained to predict it. Prompt tokens and padding
 * are 0, and position 0 is never a target.
 */
import { xoroshiro128plus, xoroshiroFromState } from './rng';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

export interface TrainExample {
  /** token ids of prompt followed by response */
  ids: number[];
  /** number of leading prompt tokens (not trained on) */
  promptLength: number;
}

export interface Batch {
  batchSize: number;
  seqLen: number;
  /** [batchSize * seqLen] row-major token ids (padding = padId) */
  inputIds: Int32Array;
  /** [batchSize * seqLen] 1 for real tokens, 0 for padding */
  attentionMask: Float32Array;
  /** [batchSize * seqLen] 1 for target tokens that count in the loss */
  lossMask: Float32Array;
  /** number of target tokens (sum of lossMask) */
  tokens: number;
}

export interface CollateOptions {
  maxSeqLen: number;
  padId?: number;
  /** pad to exactly maxSeqLen instead of the longest example (fixed shapes avoid kernel re-tuning) */
  padToMax?: boolean;
}

/** Checks one example; throws an error naming the offending field. */
export function validateExample(ex: TrainExample, where = 'example'): void {
  if (ex === null || typeof ex !== 'object') throw new TypeError(`${where} must be an object { ids, promptLength }`);
  if (!Array.isArray(ex.ids) || ex.ids.length === 0) throw new TypeError(`${where}.ids must be a non-empty array of token ids`);
  for (let i = 0; i < ex.ids.length; i++) {
    const id = ex.ids[i];
    if (!Number.isInteger(id) || id < 0) throw new TypeError(`${where}.ids[${i}] must be a non-negative integer, got ${id}`);
  }
  if (!Number.isInteger(ex.promptLength) || ex.promptLength < 0 || ex.promptLength > ex.ids.length) {
    throw new RangeError(`${where}.promptLength must be an integer in 0..${ex.ids.length} (ids.length), got ${ex.promptLength}`);
  }
}

/**
 * Right-pads (training never needs left padding: no generation here), truncates each example to its
 * first maxSeqLen tokens (the response tail is what gets lost) and builds the response-only loss mask.
 */
export function collate(examples: readonly TrainExample[], opts: CollateOptions): Batch {
  const { maxSeqLen, padId = 0, padToMax = false } = opts;
  if (!Number.isInteger(maxSeqLen) || maxSeqLen < 2) throw new RangeError(`maxSeqLen must be an integer >= 2, got ${maxSeqLen}`);
  if (examples.length === 0) throw new RangeError('batch must contain at least one example');
  examples.forEach((ex, i) => validateExample(ex, `examples[${i}]`));
  const seqLen = padToMax ? maxSeqLen : Math.min(maxSeqLen, Math.max(...examples.map((e) => e.ids.length)));
  const n = examples.length;
  const inputIds = new Int32Array(n * seqLen).fill(padId);
  const attentionMask = new Float32Array(n * seqLen);
  const lossMask = new Float32Array(n * seqLen);
  let tokens = 0;
  for (let b = 0; b < n; b++) {
    const { ids, promptLength } = examples[b];
    const len = Math.min(ids.length, seqLen);
    for (let t = 0; t < len; t++) {
      inputIds[b * seqLen + t] = ids[t];
      attentionMask[b * seqLen + t] = 1;
      if (t >= Math.max(1, promptLength)) {
        lossMask[b * seqLen + t] = 1;
        tokens++;
      }
    }
  }
  return { batchSize: n, seqLen, inputIds, attentionMask, lossMask, tokens };
}

/** Where the data order stands: epoch number and position within that epoch's permutation. */
export interface DataCursor {
  epoch: number;
  position: number;
}

export interface DataOrderState {
  seed: number;
  cursor: DataCursor;
  /** PRNG state (xoroshiro128plus) from which the CURRENT epoch's permutation was drawn */
  epochRngState: number[];
  datasetSize: number;
}

/** Fisher-Yates with a portable PRNG, so the order is the same on every machine and backend. */
function permutation(n: number, rng: RandomGenerator): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = uniformInt(rng, 0, i);
    const tmp = p[i];
    p[i] = p[j];
    p[j] = tmp;
  }
  return p;
}

/**
 * Seeded, resumable shuffled order over a dataset: a fresh permutation every epoch, drawn from one
 * xoroshiro128+ stream. Its whole state (cursor + the PRNG state that produced the current epoch)
 * is serialisable JSON.
 */
export class DataOrder {
  private rng: RandomGenerator;
  private epochRngState: number[];
  private perm: number[];
  cursor: DataCursor;

  constructor(
    readonly datasetSize: number,
    readonly seed: number,
    state?: DataOrderState,
  ) {
    if (!Number.isInteger(datasetSize) || datasetSize <= 0) throw new RangeError(`dataset must contain at least one example, got ${datasetSize}`);
    if (!Number.isInteger(seed)) throw new TypeError(`seed must be an integer, got ${seed}`);
    if (state) {
      if (state.datasetSize !== datasetSize) {
        throw new RangeError(`saved data order is for a dataset of ${state.datasetSize} examples, this one has ${datasetSize}`);
      }
      this.rng = xoroshiroFromState(state.epochRngState);
      this.cursor = { ...state.cursor };
    } else {
      this.rng = xoroshiro128plus(seed);
      this.cursor = { epoch: 0, position: 0 };
    }
    this.epochRngState = [...this.rng.getState()];
    this.perm = permutation(datasetSize, this.rng);
  }

  /** Next `count` dataset indices, rolling into the next epoch (new permutation) when one ends. */
  take(count: number): number[] {
    const out: number[] = [];
    while (out.length < count) {
      if (this.cursor.position >= this.datasetSize) {
        this.cursor = { epoch: this.cursor.epoch + 1, position: 0 };
        this.epochRngState = [...this.rng.getState()];
        this.perm = permutation(this.datasetSize, this.rng);
      }
      out.push(this.perm[this.cursor.position++]);
    }
    return out;
  }

  state(): DataOrderState {
    return { seed: this.seed, cursor: { ...this.cursor }, epochRngState: [...this.epochRngState], datasetSize: this.datasetSize };
  }
}
