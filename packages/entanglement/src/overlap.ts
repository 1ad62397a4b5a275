/**
 * Reasoning-vs-safety activation overlap: are the neurons whose reasoning-prompt activation rose most
 * from π0 to πτ the safety neurons? T = the top-k neurons by rτⱼ − r0ⱼ, keeping only neurons that
 * actually rose (rτⱼ > r0ⱼ), so T can hold fewer than k when few rose. For each neuron set S:
 *   fraction = |S ∩ T| / |S|        (share of the set among the top risers)
 *   jaccard  = |S ∩ T| / |S ∪ T|
 * Both are 0 when the denominator is 0 (empty set, or nothing rose). Compare safety with control in
 * the same run: a random set of size |S| has an expected fraction of about |T| / total.
 */
import { topKIndices } from './select';
import { assertFloat32, assertIndexList, assertSameLength, type IndexList, resolveCount } from './validate';

export interface OverlapOptions {
  /** k as a count */
  topK?: number;
  /** k as a fraction of all neurons */
  topFraction?: number;
}

export interface SetOverlap {
  size: number;
  /** |S ∩ T| */
  hits: number;
  fraction: number;
  jaccard: number;
}

export interface OverlapResult<K extends string> {
  /** the requested k */
  k: number;
  /** |T|: top-k neurons that rose (≤ k) */
  risen: number;
  /** expected fraction for a random set: |T| / total neurons */
  chanceFraction: number;
  sets: Record<K, SetOverlap>;
}

export function activationOverlap<K extends string>(
  acts: { reasoningBase: Float32Array; reasoningTuned: Float32Array },
  sets: Record<K, IndexList>,
  opts: OverlapOptions,
): OverlapResult<K> {
  if (!acts || typeof acts !== 'object') throw new TypeError('activations must be { reasoningBase, reasoningTuned }');
  assertFloat32('reasoningBase', acts.reasoningBase);
  assertFloat32('reasoningTuned', acts.reasoningTuned);
  const total = acts.reasoningBase.length;
  assertSameLength('reasoningTuned', acts.reasoningTuned, total, 'reasoningBase');
  if (!sets || typeof sets !== 'object' || Object.keys(sets).length === 0) {
    throw new TypeError('sets must be a non-empty record of neuron sets, e.g. { safety, control }');
  }
  const k = resolveCount('topK', opts?.topK, 'topFraction', opts?.topFraction, total);

  const rise = new Float64Array(total);
  const r0 = acts.reasoningBase;
  const rT = acts.reasoningTuned;
  for (let i = 0; i < total; i++) {
    const d = rT[i] - r0[i];
    if (d - d !== 0) {
      const field = r0[i] - r0[i] !== 0 ? 'reasoningBase' : 'reasoningTuned';
      throw new RangeError(`${field}[${i}] must be a finite number, got ${acts[field][i]}`);
    }
    rise[i] = d;
  }
  const top = topKIndices(rise, k);
  const inTop = new Uint8Array(total);
  let risen = 0;
  for (let i = 0; i < top.length; i++) {
    if (rise[top[i]] > 0) {
      inTop[top[i]] = 1;
      risen++;
    }
  }

  const out = {} as Record<K, SetOverlap>;
  for (const name of Object.keys(sets) as K[]) {
    const s = sets[name];
    assertIndexList(`sets.${name}`, s, total);
    let hits = 0;
    for (let i = 0; i < s.length; i++) hits += inTop[s[i]];
    const union = s.length + risen - hits;
    out[name] = {
      size: s.length,
      hits,
      fraction: s.length === 0 ? 0 : hits / s.length,
      jaccard: union === 0 ? 0 : hits / union,
    };
  }
  return { k, risen, chanceFraction: risen / total, sets: out };
}
