import { lrAt, warmupSteps } from '../../src/train/schedule';

describe('lr schedule', () => {
  const base = { lr: 1e-3, totalSteps: 100, warmupRatio: 0.1 };
  it('warms up linearly from 0 (HF LambdaLR convention)', () => {
    expect(warmupSteps(base)).toBe(10);
    expect(lrAt(0, { ...base, schedule: 'cosine' })).toBe(0);
    expect(lrAt(5, { ...base, schedule: 'cosine' })).toBeCloseTo(5e-4, 12);
    expect(lrAt(10, { ...base, schedule: 'cosine' })).toBeCloseTo(1e-3, 12);
  });
  it('cosine reaches half at the midpoint of decay and 0 at the end', () => {
    const o = { ...base, schedule: 'cosine' as const };
    expect(lrAt(55, o)).toBeCloseTo(5e-4, 12);
    expect(lrAt(100, o)).toBeCloseTo(0, 12);
    expect(lrAt(150, o)).toBe(0);
  });
  it('linear and constant', () => {
    expect(lrAt(55, { ...base, schedule: 'linear' })).toBeCloseTo(5e-4, 12);
    expect(lrAt(100, { ...base, schedule: 'linear' })).toBe(0);
    expect(lrAt(99, { ...base, schedule: 'constant' })).toBe(1e-3);
  });
  it('no warmup starts at full lr', () => {
    expect(lrAt(0, { ...base, warmupRatio: 0, schedule: 'cosine' })).toBe(1e-3);
  });
});
