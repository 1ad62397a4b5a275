/**
 * Reciprocal Activation Shift (paper §4.1). Over a neuron set S of n neurons, with activations
 * averaged over the probe examples — a on safety prompts, r on reasoning prompts, 0 = base model π0,
 * τ = checkpoint πτ:
 *
 *   δ⁻safe   = (1/n) Σ_{j∈S, a0ⱼ > aτⱼ} ((a0ⱼ − aτⱼ) / aτⱼ) · a0ⱼ     safety activation lost
 *   δ⁺reason = (1/n) Σ_{j∈S, rτⱼ > r0ⱼ} ((rτⱼ − r0ⱼ) / r0ⱼ) · rτⱼ     reasoning activation gained
 *   RAS      = 2 · δ⁻safe · δ⁺reason / (δ⁻safe + δ⁺reason)             (0 when both are 0)
 *
 * What the paper leaves open, decided here (also in README.md):
 * - n is the size of the neuron set S, not the number of neurons that entered a sum, so a set where
 *   few neurons moved scores lower than one where many did. nSafe / nReason report how many entered.
 * - Denominators: |aτⱼ| and |r0ⱼ|, floored at ε (default 1e-6), so a zero or tiny activation gives a
 *   large but finite term instead of Infinity/NaN. Raise ε to damp near-zero neurons further.
 * - Negative activations (GELU/SwiGLU outputs can be negative), mode 'magnitude' (default): the
 *   weight is |a0ⱼ| (resp. |rτⱼ|) and the denominator |aτⱼ| (resp. |r0ⱼ|). The numerator is positive
 *   by the sum's condition, so every term is ≥ 0, δ⁻ and δ⁺ are ≥ 0 and RAS is a harmonic mean of
 *   non-negative numbers. For positive activations this is exactly the paper's formula.
 *   Mode 'positive-only': a neuron enters a sum only when both of its values are > 0 (the domain
 *   where the paper's formula is unambiguous); the others are skipped.
 */
import { assertFloat32, assertIndexList, assertPositiveNumber, assertSameLength, type IndexList } from './validate';

export interface RasActivations {
  /** base model π0 on safety prompts, averaged over probe examples, one value per neuron */
  safetyBase: Float32Array;
  /** checkpoint πτ on safety prompts */
  safetyTuned: Float32Array;
  /** π0 on reasoning prompts */
  reasoningBase: Float32Array;
  /** πτ on reasoning prompts */
  reasoningTuned: Float32Array;
}

export type NegativeActivationMode = 'magnitude' | 'positive-only';

export interface RasOptions {
  /** floor for |denominator|; default 1e-6 */
  epsilon?: number;
  /** how negative activations are handled; default 'magnitude' (see module comment) */
  negative?: NegativeActivationMode;
}

export interface RasResult {
  deltaSafe: number;
  deltaReason: number;
  ras: number;
  /** neurons that entered the δ⁻safe sum (a0 > aτ) */
  nSafe: number;
  /** neurons that entered the δ⁺reason sum (rτ > r0) */
  nReason: number;
  /** n in 1/n: the size of the neuron set */
  n: number;
}

export const DEFAULT_EPSILON = 1e-6;

/** The harmonic combination of the two shifts; 0 when both are 0. */
export function harmonicRas(deltaSafe: number, deltaReason: number): number {
  const s = deltaSafe + deltaReason;
  return s === 0 ? 0 : (2 * deltaSafe * deltaReason) / s;
}

function checkActivations(acts: RasActivations): number {
  if (!acts || typeof acts !== 'object') throw new TypeError('activations must be { safetyBase, safetyTuned, reasoningBase, reasoningTuned }');
  assertFloat32('safetyBase', acts.safetyBase);
  const total = acts.safetyBase.length;
  for (const f of ['safetyTuned', 'reasoningBase', 'reasoningTuned'] as const) {
    assertFloat32(f, acts[f]);
    assertSameLength(f, acts[f], total, 'safetyBase');
  }
  return total;
}

function resolveOptions(opts: RasOptions | undefined): { eps: number; positiveOnly: boolean } {
  const eps = opts?.epsilon ?? DEFAULT_EPSILON;
  assertPositiveNumber('epsilon', eps);
  const mode = opts?.negative ?? 'magnitude';
  if (mode !== 'magnitude' && mode !== 'positive-only') {
    throw new RangeError(`negative must be 'magnitude' or 'positive-only', got ${JSON.stringify(mode)}`);
  }
  return { eps, positiveOnly: mode === 'positive-only' };
}

/** Finds and names the first non-finite value among the neurons read (slow path, errors only). */
function nonFinite(acts: RasActivations, neurons: IndexList | undefined): never {
  const n = neurons === undefined ? acts.safetyBase.length : neurons.length;
  for (let i = 0; i < n; i++) {
    const j = neurons === undefined ? i : neurons[i];
    for (const f of ['safetyBase', 'safetyTuned', 'reasoningBase', 'reasoningTuned'] as const) {
      const x = acts[f][j];
      if (x - x !== 0) throw new RangeError(`${f}[${j}] must be a finite number, got ${x}`);
    }
  }
  throw new RangeError('activations hold a non-finite value');
}

/**
 * One neuron's δ⁻safe term ((a0 − aτ)/max(|aτ|, ε)) · |a0|, or −1 when the neuron does not enter the
 * sum (terms are never negative). The same function gives the δ⁺reason term with (rτ, r0) in place
 * of (a0, aτ): that is the symmetry between the two shifts. Small enough for V8 to inline.
 */
function shiftTerm(from: number, to: number, eps: number, positiveOnly: boolean): number {
  if (!(from > to) || (positiveOnly && !(to > 0))) return -1;
  const den = to >= 0 ? (to > eps ? to : eps) : -to > eps ? -to : eps;
  return ((from - to) / den) * (from >= 0 ? from : -from);
}

/**
 * RAS over `neurons` (flat indices; all neurons when omitted). Accumulates in float64; one pass.
 */
export function reciprocalActivationShift(acts: RasActivations, neurons?: IndexList, opts?: RasOptions): RasResult {
  const total = checkActivations(acts);
  const { eps, positiveOnly } = resolveOptions(opts);
  if (neurons !== undefined) assertIndexList('neurons', neurons, total);
  const { safetyBase: a0, safetyTuned: aT, reasoningBase: r0, reasoningTuned: rT } = acts;
  const n = neurons === undefined ? total : neurons.length;
  let sumSafe = 0;
  let sumReason = 0;
  let nSafe = 0;
  let nReason = 0;
  // sum of every value read: stays finite unless some value is NaN/±Infinity (which comparisons
  // would silently skip), so one add per neuron replaces a branchy finite check
  let check = 0;
  // two copies of the loop so the all-neurons case has no per-neuron index lookup (~1.5× faster)
  if (neurons === undefined) {
    for (let j = 0; j < n; j++) {
      const s0 = a0[j];
      const sT = aT[j];
      const q0 = r0[j];
      const qT = rT[j];
      check += s0 + sT + q0 + qT;
      const ts = shiftTerm(s0, sT, eps, positiveOnly);
      const tr = shiftTerm(qT, q0, eps, positiveOnly);
      if (ts >= 0) {
        sumSafe += ts;
        nSafe++;
      }
      if (tr >= 0) {
        sumReason += tr;
        nReason++;
      }
    }
  } else {
    for (let i = 0; i < n; i++) {
      const j = neurons[i];
      const s0 = a0[j];
      const sT = aT[j];
      const q0 = r0[j];
      const qT = rT[j];
      check += s0 + sT + q0 + qT;
      const ts = shiftTerm(s0, sT, eps, positiveOnly);
      const tr = shiftTerm(qT, q0, eps, positiveOnly);
      if (ts >= 0) {
        sumSafe += ts;
        nSafe++;
      }
      if (tr >= 0) {
        sumReason += tr;
        nReason++;
      }
    }
  }
  if (check - check !== 0) nonFinite(acts, neurons);
  const deltaSafe = n === 0 ? 0 : sumSafe / n;
  const deltaReason = n === 0 ? 0 : sumReason / n;
  return { deltaSafe, deltaReason, ras: harmonicRas(deltaSafe, deltaReason), nSafe, nReason, n };
}

export interface RasForSetsResult {
  safety: RasResult;
  control: RasResult;
  all: RasResult;
  /** RAS(safety) / RAS(control); null when RAS(control) is 0 (undefined ratio, and JSON-safe) */
  ratio: number | null;
}

/** RAS for the safety set, the control set and all neurons, plus RAS(safety)/RAS(control). */
export function rasForSets(
  acts: RasActivations,
  sets: { safety: IndexList; control: IndexList },
  opts?: RasOptions,
): RasForSetsResult {
  if (!sets || typeof sets !== 'object') throw new TypeError('sets must be { safety, control } lists of flat neuron indices');
  const safety = reciprocalActivationShift(acts, sets.safety, opts);
  const control = reciprocalActivationShift(acts, sets.control, opts);
  const all = reciprocalActivationShift(acts, undefined, opts);
  return { safety, control, all, ratio: control.ras === 0 ? null : safety.ras / control.ras };
}

/**
 * Element-wise mean of per-example activation vectors (the probe-set average RAS expects).
 * Accumulates in float64 so 64+ examples do not lose precision, returns float32 like the inputs.
 */
export function meanActivations(vectors: readonly Float32Array[], field = 'vectors'): Float32Array {
  if (!Array.isArray(vectors) || vectors.length === 0) throw new TypeError(`${field} must be a non-empty array of Float32Array`);
  assertFloat32(`${field}[0]`, vectors[0]);
  const len = vectors[0].length;
  for (let v = 1; v < vectors.length; v++) {
    assertFloat32(`${field}[${v}]`, vectors[v]);
    assertSameLength(`${field}[${v}]`, vectors[v], len, `${field}[0]`);
  }
  // float64 accumulator; four examples per pass quarters the accumulator's loads and stores, the
  // bottleneck at 64 × 1M (measured ~1.5× faster than one example per pass)
  const acc = new Float64Array(len);
  let v = 0;
  for (; v + 4 <= vectors.length; v += 4) {
    const a = vectors[v];
    const b = vectors[v + 1];
    const c = vectors[v + 2];
    const d = vectors[v + 3];
    for (let i = 0; i < len; i++) acc[i] += a[i] + b[i] + (c[i] + d[i]);
  }
  for (; v < vectors.length; v++) {
    const a = vectors[v];
    for (let i = 0; i < len; i++) acc[i] += a[i];
  }
  const out = new Float32Array(len);
  const inv = 1 / vectors.length;
  for (let i = 0; i < len; i++) {
    const m = acc[i] * inv;
    if (m - m !== 0) throw new RangeError(`${field}: neuron ${i} has a non-finite value in some example`);
    out[i] = m;
  }
  return out;
}

/**
 * Running mean of activation vectors, fed as the model engine produces them, so a probe set never
 * has to be held in memory at once (64 examples × 1M neurons is 256 MB of float32).
 * `addBatch` takes a pooled hook output [batch, neurons] flattened row-major (tf `dataSync()`).
 */
export class ActivationMean {
  private readonly acc: Float64Array;
  private n = 0;

  constructor(readonly neurons: number) {
    if (!Number.isInteger(neurons) || neurons <= 0) throw new RangeError(`neurons must be a positive integer, got ${neurons}`);
    this.acc = new Float64Array(neurons);
  }

  get count(): number {
    return this.n;
  }

  add(vector: Float32Array): this {
    assertFloat32('vector', vector);
    assertSameLength('vector', vector, this.neurons, 'the accumulator (neurons)');
    const acc = this.acc;
    for (let i = 0; i < acc.length; i++) acc[i] += vector[i];
    this.n++;
    return this;
  }

  addBatch(rows: Float32Array, batchSize: number): this {
    assertFloat32('rows', rows);
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    if (rows.length !== batchSize * this.neurons) {
      throw new RangeError(`rows has length ${rows.length}, expected batchSize × neurons = ${batchSize} × ${this.neurons}`);
    }
    const acc = this.acc;
    const len = this.neurons;
    for (let b = 0; b < batchSize; b++) {
      const off = b * len;
      for (let i = 0; i < len; i++) acc[i] += rows[off + i];
    }
    this.n += batchSize;
    return this;
  }

  /** The mean so far, as float32; throws when nothing was added or a value was not finite. */
  mean(field = 'activations'): Float32Array {
    if (this.n === 0) throw new RangeError(`${field}: no examples were added`);
    const out = new Float32Array(this.neurons);
    const inv = 1 / this.n;
    for (let i = 0; i < out.length; i++) {
      const m = this.acc[i] * inv;
      if (m - m !== 0) throw new RangeError(`${field}: neuron ${i} has a non-finite value in some example`);
      out[i] = m;
    }
    return out;
  }
}
