import { activationOverlap } from '../src';

const f = (...v: number[]) => Float32Array.from(v);
// rise rτ − r0 = [5, 4, 3, −1, 0, 2]
const acts = { reasoningBase: f(0, 0, 0, 0, 0, 0), reasoningTuned: f(5, 4, 3, -1, 0, 2) };

describe('activationOverlap', () => {
  it('measures how much of each set is among the top-k risers', () => {
    // top-3 risers T = {0, 1, 2}
    //   safety {0, 2, 5}: hits 2, fraction 2/3, jaccard 2/|{0,1,2,5}| = 2/4
    //   control {3, 4}:   hits 0
    const r = activationOverlap(acts, { safety: [0, 2, 5], control: [3, 4] }, { topK: 3 });
    expect(r.k).toBe(3);
    expect(r.risen).toBe(3);
    expect(r.chanceFraction).toBe(3 / 6);
    expect(r.sets.safety).toEqual({ size: 3, hits: 2, fraction: 2 / 3, jaccard: 0.5 });
    expect(r.sets.control).toEqual({ size: 2, hits: 0, fraction: 0, jaccard: 0 });
  });

  it('only counts neurons that rose, so T can be smaller than k', () => {
    // k = 6 but only 4 rose (5, 4, 3, 2 at neurons 0, 1, 2, 5): T = {0,1,2,5}
    //   safety {0, 2, 5}: hits 3, fraction 1, jaccard 3/4
    const r = activationOverlap(acts, { safety: [0, 2, 5] }, { topFraction: 1 });
    expect(r.risen).toBe(4);
    expect(r.sets.safety).toEqual({ size: 3, hits: 3, fraction: 1, jaccard: 0.75 });
  });

  it('is 0 for an empty set and when nothing rose', () => {
    expect(activationOverlap(acts, { empty: [] }, { topK: 2 }).sets.empty).toEqual({ size: 0, hits: 0, fraction: 0, jaccard: 0 });
    const flat = activationOverlap({ reasoningBase: f(1, 1), reasoningTuned: f(1, 0) }, { s: [0] }, { topK: 1 });
    expect(flat.risen).toBe(0);
    expect(flat.sets.s).toEqual({ size: 1, hits: 0, fraction: 0, jaccard: 0 });
  });

  it('rejects bad input with an error naming the field', () => {
    expect(() => activationOverlap(acts, {}, { topK: 1 })).toThrow(/sets must be a non-empty record/);
    expect(() => activationOverlap(acts, { safety: [9] }, { topK: 1 })).toThrow(/sets\.safety\[0\] = 9 is not a flat neuron index/);
    expect(() => activationOverlap(acts, { safety: [0] }, {})).toThrow(/one of topK or topFraction is required/);
    expect(() => activationOverlap({ ...acts, reasoningTuned: f(1) }, { s: [0] }, { topK: 1 })).toThrow(/reasoningTuned has length 1, expected 6/);
    expect(() => activationOverlap({ ...acts, reasoningBase: f(0, NaN, 0, 0, 0, 0) }, { s: [0] }, { topK: 1 })).toThrow(
      /reasoningBase\[1\] must be a finite number/,
    );
  });
});
