import fc from 'fast-check';
import { makeLayout, perLayerCounts } from '@rimwatch/contracts';
import { CONTROL_SAMPLER_ID, sampleControlNeurons } from '../src';

const layout = makeLayout([64, 64, 64, 64]);
// per layer: 3 (3,17,40), 2 (70,71), 3 (130,131,132), 2 (200,255)
const safety = [3, 17, 40, 70, 71, 130, 131, 132, 200, 255];

describe('sampleControlNeurons', () => {
  it('gives a fixed, committed set for a fixed seed (portable: 32-bit integer PRNG only)', () => {
    // If this changes, stored control sets are no longer reproducible: bump CONTROL_SAMPLER_ID.
    expect(CONTROL_SAMPLER_ID).toBe('xoroshiro128plus-floyd-v1');
    expect(sampleControlNeurons(safety, layout, { seed: 1234 }).neurons).toEqual([0, 26, 31, 93, 113, 140, 158, 180, 199, 232]);
    expect(sampleControlNeurons(safety, layout, { seed: 1234, matchPerLayer: false }).neurons).toEqual([
      37, 57, 92, 113, 115, 122, 126, 167, 183, 225,
    ]);
    expect(sampleControlNeurons(safety, layout, { seed: 0xffffffff, matchPerLayer: false }).neurons).toEqual([
      10, 35, 60, 65, 85, 109, 129, 191, 242, 253,
    ]);
  });

  it('matches the safety set per layer by default', () => {
    const r = sampleControlNeurons(safety, layout, { seed: 1234 });
    expect(r.perLayer).toEqual([3, 2, 3, 2]);
    expect(perLayerCounts(layout, r.neurons)).toEqual([3, 2, 3, 2]);
    expect(r.matchPerLayer).toBe(true);
  });

  it('does not depend on the order of the safety set', () => {
    const shuffled = [...safety].reverse();
    expect(sampleControlNeurons(shuffled, layout, { seed: 7 }).neurons).toEqual(sampleControlNeurons(safety, layout, { seed: 7 }).neurons);
  });

  it('is sorted, distinct, disjoint from the safety set and the right size (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 255 }), { maxLength: 120 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.boolean(),
        (safe, seed, matchPerLayer) => {
          const counts = perLayerCounts(layout, safe);
          fc.pre(!matchPerLayer || counts.every((c) => c <= 32));
          const r = sampleControlNeurons(safe, layout, { seed, matchPerLayer });
          expect(r.neurons.length).toBe(safe.length);
          expect(new Set(r.neurons).size).toBe(r.neurons.length);
          expect(r.neurons).toEqual([...r.neurons].sort((a, b) => a - b));
          const s = new Set(safe);
          expect(r.neurons.some((j) => s.has(j))).toBe(false);
          if (matchPerLayer) expect(r.perLayer).toEqual(counts);
          expect(sampleControlNeurons(safe, layout, { seed, matchPerLayer }).neurons).toEqual(r.neurons);
        },
      ),
    );
  });

  it('draws every allowed neuron about equally often (uniform over the non-safety neurons)', () => {
    // 10 neurons, safety {0,1,2}: 3 of the 7 others per seed, 7000 seeds -> each expected 3000 times
    const small = makeLayout([10]);
    const hits = new Array(10).fill(0);
    for (let seed = 0; seed < 7000; seed++) for (const j of sampleControlNeurons([0, 1, 2], small, { seed }).neurons) hits[j]++;
    expect(hits.slice(0, 3)).toEqual([0, 0, 0]);
    // binomial sd = sqrt(7000 · 3/7 · 4/7) ≈ 41; allow ±5 sd
    for (const h of hits.slice(3)) expect(Math.abs(h - 3000)).toBeLessThan(210);
  });

  it('samples a given count in uniform mode, and an empty safety set gives an empty control set', () => {
    expect(sampleControlNeurons(safety, layout, { seed: 1, matchPerLayer: false, count: 5 }).neurons).toHaveLength(5);
    expect(sampleControlNeurons([], layout, { seed: 1 })).toMatchObject({ neurons: [], perLayer: [0, 0, 0, 0] });
    // every non-safety neuron when count = total − |safety|
    expect(sampleControlNeurons([1], makeLayout([4]), { seed: 3, matchPerLayer: false, count: 3 }).neurons).toEqual([0, 2, 3]);
  });

  it('explains when a layer cannot be matched', () => {
    expect(() => sampleControlNeurons([0, 1, 2], makeLayout([4, 4]), { seed: 1 })).toThrow(
      /layer 0: the safety set has 3 of its 4 neurons, leaving only 1 to match; use matchPerLayer: false/,
    );
  });

  it('rejects bad input with an error naming the field', () => {
    expect(() => sampleControlNeurons(safety, layout, { seed: -1 })).toThrow(/seed must be an integer in 0..4294967295/);
    expect(() => sampleControlNeurons(safety, layout, { seed: 1.5 })).toThrow(/seed/);
    expect(() => sampleControlNeurons([256], layout, { seed: 1 })).toThrow(/safetySet\[0\] = 256 is not a flat neuron index in 0..255/);
    expect(() => sampleControlNeurons([4, 4], layout, { seed: 1 })).toThrow(/safetySet\[1\] = 4 is a duplicate/);
    expect(() => sampleControlNeurons(safety, layout, { seed: 1, matchPerLayer: false, count: 250 })).toThrow(/count must be an integer in 0..246/);
    expect(() => sampleControlNeurons(safety, layout, { seed: 1, count: 3 })).toThrow(/count \(3\) must equal the safety-set size \(10\)/);
  });
});
