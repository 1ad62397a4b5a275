import { collate, DataOrder, validateExample } from '../../src/train/data';

describe('collate', () => {
  it('right-pads, masks prompt and padding, and counts target tokens', () => {
    const b = collate(
      [
        { ids: [5, 6, 7, 8], promptLength: 2 },
        { ids: [9, 10], promptLength: 1 },
      ],
      { maxSeqLen: 16, padId: 0 },
    );
    expect(b.seqLen).toBe(4);
    expect([...b.inputIds]).toEqual([5, 6, 7, 8, 9, 10, 0, 0]);
    expect([...b.attentionMask]).toEqual([1, 1, 1, 1, 1, 1, 0, 0]);
    // targets: tokens at positions >= promptLength (position 0 never is one)
    expect([...b.lossMask]).toEqual([0, 0, 1, 1, 0, 1, 0, 0]);
    expect(b.tokens).toBe(3);
  });

  it('truncates to maxSeqLen and pads to it on request', () => {
    const b = collate([{ ids: [1, 2, 3, 4, 5, 6], promptLength: 2 }], { maxSeqLen: 4 });
    expect([...b.inputIds]).toEqual([1, 2, 3, 4]);
    expect([...b.lossMask]).toEqual([0, 0, 1, 1]);
    const p = collate([{ ids: [1, 2, 3], promptLength: 0 }], { maxSeqLen: 5, padToMax: true, padId: 9 });
    expect([...p.inputIds]).toEqual([1, 2, 3, 9, 9]);
    expect([...p.lossMask]).toEqual([0, 1, 1, 0, 0]);
  });

  it('names the bad field', () => {
    expect(() => validateExample({ ids: [1, -2], promptLength: 0 })).toThrow(/example\.ids\[1\]/);
    expect(() => validateExample({ ids: [1, 2], promptLength: 3 })).toThrow(/promptLength/);
    expect(() => validateExample({ ids: [], promptLength: 0 })).toThrow(/ids must be a non-empty/);
    expect(() => collate([{ ids: [1], promptLength: 0 }], { maxSeqLen: 1 })).toThrow(/maxSeqLen/);
    expect(() => collate([{ ids: [1, 2], promptLength: 0 }, { ids: [1.5], promptLength: 0 } as never], { maxSeqLen: 8 })).toThrow(/examples\[1\]\.ids\[0\]/);
  });
});

describe('DataOrder', () => {
  it('visits every example once per epoch, in a seeded order that changes per epoch', () => {
    const o = new DataOrder(10, 42);
    const e0 = o.take(10);
    const e1 = o.take(10);
    expect([...e0].sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    expect([...e1].sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    expect(e0).not.toEqual(e1);
    expect(o.cursor).toEqual({ epoch: 1, position: 10 });
    expect(new DataOrder(10, 42).take(20)).toEqual([...e0, ...e1]);
    expect(new DataOrder(10, 43).take(10)).not.toEqual(e0);
  });

  it('resumes from a JSON round-tripped state exactly, across epoch boundaries', () => {
    const a = new DataOrder(7, 3);
    a.take(12);
    const saved = JSON.parse(JSON.stringify(a.state()));
    const rest = a.take(15);
    const b = new DataOrder(7, 3, saved);
    expect(b.take(15)).toEqual(rest);
  });

  it('refuses a state saved for another dataset size', () => {
    const s = new DataOrder(7, 3).state();
    expect(() => new DataOrder(8, 3, s)).toThrow(/7 examples/);
  });
});
