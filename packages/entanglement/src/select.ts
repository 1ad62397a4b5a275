/**
 * Top-k selection over a million values without sorting them all: a quickselect with a three-way
 * partition (many ReLU/GELU activation differences are exactly equal, which sends a two-way
 * quickselect quadratic) finds the k-th largest value in O(n) on average, then one scan emits the
 * indices. Hand-written because no maintained npm package does an index-returning select over typed
 * arrays; it is small and property-tested against a full sort.
 */

export interface TopKScratch {
  /** reused copy of the values (quickselect permutes it); grown on demand */
  buf?: Float64Array;
  /** reused candidate index buffer for the sampled path */
  cand?: Int32Array;
}

/** Sample size for the threshold estimate; enough that the estimate's error is a few % of k. */
const SAMPLE = 4096;

/**
 * Flat indices of the k largest values, in ascending index order. Ties at the k-th value go to the
 * lower indices, so the result is deterministic. `values` must not contain NaN.
 *
 * For k ≪ n (the usual case: top 0.1–1% of a million neurons) a strided sample gives a threshold t
 * a little below the k-th value; one pass gathers the indices with value ≥ t and the exact select runs
 * on those few candidates only. The result is exact whatever the sample: when fewer than k values
 * are ≥ t, or too many, it falls back to quickselect over everything.
 */
export function topKIndices(values: ArrayLike<number>, k: number, scratch: TopKScratch = {}): Int32Array {
  const n = values.length;
  if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`k must be an integer in 0..${n}, got ${k}`);
  if (k === 0) return new Int32Array(0);
  if (n >= 8 * SAMPLE && k <= n / 8) {
    const sampled = sampledTopK(values, k, scratch);
    if (sampled) return sampled;
  }
  return fullTopK(values, k, scratch);
}

function fullTopK(values: ArrayLike<number>, k: number, scratch: TopKScratch): Int32Array {
  const n = values.length;
  const out = new Int32Array(k);
  if (!scratch.buf || scratch.buf.length < n) scratch.buf = new Float64Array(n);
  const buf = scratch.buf;
  for (let i = 0; i < n; i++) buf[i] = values[i];
  const { value: threshold, greater } = kthLargest(buf, n, k);
  let ties = k - greater;
  let o = 0;
  for (let i = 0; i < n && o < k; i++) {
    const v = values[i];
    if (v > threshold) out[o++] = i;
    else if (v === threshold && ties > 0) {
      out[o++] = i;
      ties--;
    }
  }
  return out;
}

function sampledTopK(values: ArrayLike<number>, k: number, scratch: TopKScratch): Int32Array | null {
  const n = values.length;
  const sample = new Float64Array(SAMPLE);
  for (let j = 0; j < SAMPLE; j++) sample[j] = values[Math.floor(((j + 0.5) * n) / SAMPLE)];
  // rank in the sample with 25% + 16 samples of slack, so t is very likely below the k-th value
  const q = Math.min(SAMPLE, Math.ceil((k / n) * SAMPLE * 1.25) + 16);
  const t = kthLargest(sample, SAMPLE, q).value;
  const cap = Math.min(n, 2 * k + 8 * Math.ceil(n / SAMPLE) * 16);
  if (!scratch.cand || scratch.cand.length < cap) scratch.cand = new Int32Array(cap);
  const cand = scratch.cand;
  let c = 0;
  for (let i = 0; i < n; i++) {
    if (values[i] >= t) {
      if (c === cap) return null; // t too low (e.g. a huge tie): exact fallback
      cand[c++] = i;
    }
  }
  if (c < k) return null; // t above the k-th value: exact fallback
  if (!scratch.buf || scratch.buf.length < c) scratch.buf = new Float64Array(Math.max(c, 1024));
  const buf = scratch.buf;
  for (let i = 0; i < c; i++) buf[i] = values[cand[i]];
  // every value ≥ the k-th largest is a candidate, so the select over candidates is exact
  const { value: threshold, greater } = kthLargest(buf, c, k);
  const out = new Int32Array(k);
  let ties = k - greater;
  let o = 0;
  for (let i = 0; i < c && o < k; i++) {
    const j = cand[i];
    const v = values[j];
    if (v > threshold) out[o++] = j;
    else if (v === threshold && ties > 0) {
      out[o++] = j;
      ties--;
    }
  }
  return out;
}

/**
 * k-th largest (1-based) of buf[0..n), permuting buf. Also returns how many values are strictly
 * greater than it: everything left of the final range is strictly greater than everything in it.
 */
export function kthLargest(buf: Float64Array, n: number, k: number): { value: number; greater: number } {
  let lo = 0;
  let hi = n - 1;
  const target = k - 1;
  // deterministic pivot choice; a fixed xorshift keeps adversarial inputs from being quadratic
  let state = 0x9e3779b9 | 0;
  for (;;) {
    if (lo === hi) return { value: buf[lo], greater: lo };
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const pivot = buf[lo + ((state >>> 0) % (hi - lo + 1))];
    // Dijkstra three-way partition, descending: [lo, lt) > pivot, [lt, i) == pivot, (gt, hi] < pivot
    let lt = lo;
    let gt = hi;
    let i = lo;
    while (i <= gt) {
      const v = buf[i];
      if (v > pivot) {
        buf[i] = buf[lt];
        buf[lt] = v;
        lt++;
        i++;
      } else if (v < pivot) {
        buf[i] = buf[gt];
        buf[gt] = v;
        gt--;
      } else i++;
    }
    if (target < lt) hi = lt - 1;
    else if (target > gt) lo = gt + 1;
    else return { value: pivot, greater: lt };
  }
}
