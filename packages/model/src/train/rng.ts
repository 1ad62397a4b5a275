/** Portable seeded PRNG (pure-rand's xoroshiro128+): same numbers on every platform, state is plain numbers. */
import { xoroshiro128plus as make, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

export function xoroshiro128plus(seed: number): RandomGenerator {
  return make(seed);
}

export function xoroshiroFromState(state: readonly number[]): RandomGenerator {
  if (!Array.isArray(state) || state.length !== 4 || !state.every(Number.isInteger)) {
    throw new TypeError(`PRNG state must be 4 integers (xoroshiro128+), got ${JSON.stringify(state)}`);
  }
  return xoroshiro128plusFromState(state);
}

/** n floats uniform in [lo, hi) */
export function uniformArray(rng: RandomGenerator, n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * uniformFloat64(rng);
  return out;
}
