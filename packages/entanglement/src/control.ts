/**
 * Control neurons: as many neurons as the safety set, drawn at random (excluding the safety set) with
 * a seeded, portable PRNG so the same seed gives the same set on every machine and Node version.
 * pure-rand's xoroshiro128plus works on 32-bit integers only (no Math.random, no floats), and its
 * uniformInt is unbiased (rejection sampling). Sampling without replacement uses Floyd's algorithm,
 * which draws exactly k numbers whatever the population size.
 */
import { type NeuronLayout, layerOffsets, totalNeurons } from '@rimwatch/contracts';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { assertIndexList, assertIntegerInRange, type IndexList } from './validate';

/** Names the algorithm so stored control sets can say how they were drawn; bump if it ever changes. */
export const CONTROL_SAMPLER_ID = 'xoroshiro128plus-floyd-v1';

export interface ControlNeuronOptions {
  /** integer seed in 0..2^32-1 (xoroshiro128plus is seeded from 32 bits) */
  seed: number;
  /** same count per layer as the safety set (default true); false = uniform over all non-safety neurons */
  matchPerLayer?: boolean;
  /** how many to draw in uniform mode; defaults to the safety-set size */
  count?: number;
}

export interface ControlNeuronResult {
  /** sorted flat indices, disjoint from the safety set */
  neurons: number[];
  /** count per layer */
  perLayer: number[];
  seed: number;
  matchPerLayer: boolean;
  sampler: string;
}

export function sampleControlNeurons(
  safetySet: IndexList,
  layout: NeuronLayout,
  opts: ControlNeuronOptions,
): ControlNeuronResult {
  if (!layout || !Array.isArray(layout.neuronsPerLayer)) throw new TypeError('layout must be a NeuronLayout ({ neuronsPerLayer })');
  const total = totalNeurons(layout);
  assertIndexList('safetySet', safetySet, total);
  assertIntegerInRange('seed', opts?.seed, 0, 0xffffffff);
  const matchPerLayer = opts.matchPerLayer ?? true;
  const offsets = layerOffsets(layout);
  const safety = Int32Array.from(safetySet).sort();
  const rng = xoroshiro128plus(opts.seed);
  const neurons: number[] = [];

  if (matchPerLayer) {
    if (opts.count !== undefined && opts.count !== safety.length) {
      throw new RangeError(`count (${opts.count}) must equal the safety-set size (${safety.length}) when matchPerLayer is true`);
    }
    let s = 0;
    for (let layer = 0; layer < layout.neuronsPerLayer.length; layer++) {
      const start = offsets[layer];
      const end = offsets[layer + 1];
      const excluded: number[] = [];
      while (s < safety.length && safety[s] < end) excluded.push(safety[s++] - start);
      const available = end - start - excluded.length;
      if (excluded.length > available) {
        throw new RangeError(
          `layer ${layer}: the safety set has ${excluded.length} of its ${end - start} neurons, leaving only ${available} to match; use matchPerLayer: false`,
        );
      }
      for (const j of sampleExcluding(rng, end - start, excluded, excluded.length)) neurons.push(start + j);
    }
  } else {
    const count = opts.count ?? safety.length;
    assertIntegerInRange('count', count, 0, total - safety.length);
    for (const j of sampleExcluding(rng, total, Array.from(safety), count)) neurons.push(j);
  }

  const perLayer = layout.neuronsPerLayer.map(() => 0);
  let layer = 0;
  for (const j of neurons) {
    while (j >= offsets[layer + 1]) layer++;
    perLayer[layer]++;
  }
  return { neurons, perLayer, seed: opts.seed, matchPerLayer, sampler: CONTROL_SAMPLER_ID };
}

/**
 * k distinct values from 0..n-1 minus the sorted `excluded`, ascending. Floyd's algorithm picks k
 * positions in the population of allowed values (size n - excluded), then one merge with `excluded`
 * maps position p to the p-th allowed value.
 */
function sampleExcluding(rng: RandomGenerator, n: number, excluded: readonly number[], k: number): number[] {
  const pop = n - excluded.length;
  if (k === 0) return [];
  const chosen = new Set<number>();
  for (let j = pop - k; j < pop; j++) {
    const t = uniformInt(rng, 0, j);
    chosen.add(chosen.has(t) ? j : t);
  }
  const positions = Array.from(chosen).sort((a, b) => a - b);
  const out: number[] = new Array(k);
  // walk the allowed values: value = position + (number of excluded values <= value)
  let e = 0;
  for (let i = 0; i < k; i++) {
    let v = positions[i] + e;
    while (e < excluded.length && excluded[e] <= v) {
      e++;
      v++;
    }
    out[i] = v;
  }
  return out;
}
