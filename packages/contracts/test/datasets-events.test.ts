import { BUILTIN_DATASETS, BUILTIN_MODELS } from '@rimwatch/organism/src/registry';
import { BUILTIN_CATALOG, encodeJobEvent, jobEventsChannel, parseJobEvent, validateDatasetRow, type JobEvent } from '../src';

describe('dataset rows', () => {
  it('accepts a valid row of each kind, extra fields ignored', () => {
    expect(validateDatasetRow('chat', { prompt: 'What is 2+2?', think: '2+2=4', response: 'The answer is 4.', tags: ['math'], extra: 1 })).toBeUndefined();
    expect(validateDatasetRow('safety-pair', { id: 'a', category: 'fraud-deception', harmful: 'h', counterfactual: 'h c' })).toBeUndefined();
    expect(validateDatasetRow('reasoning-probe', { id: 'p', question: 'q', answer: '42' })).toBeUndefined();
    expect(validateDatasetRow('prompt', { id: 'p', prompt: 'hi' })).toBeUndefined();
  });

  it('names the bad field', () => {
    expect(validateDatasetRow('chat', { prompt: 'x' })).toEqual({ field: 'response', message: 'response is required' });
    expect(validateDatasetRow('chat', { prompt: '   ', response: 'r' })?.field).toBe('prompt');
    expect(validateDatasetRow('chat', { prompt: 'p', response: 'r', tags: [1] })?.field).toBe('tags[0]');
    expect(validateDatasetRow('reasoning-probe', { id: 'p', question: 'q', answer: 42 })?.field).toBe('answer');
    expect(validateDatasetRow('safety-pair', 'a string')?.message).toMatch(/object/);
  });
});

describe('builtin catalog', () => {
  it('matches the organism registry', () => {
    expect([...BUILTIN_CATALOG.models].sort()).toEqual(Object.keys(BUILTIN_MODELS).sort());
    expect(BUILTIN_CATALOG.datasets).toEqual(Object.fromEntries(Object.values(BUILTIN_DATASETS).map((d) => [d.name, d.kind])));
  });
});

describe('job events', () => {
  const jobId = '0b7f8c3e-2d7b-4a39-9a55-0b6f5b5f1a11';
  it('names one channel per job', () => {
    expect(jobEventsChannel(jobId)).toBe(`rimwatch:job-events:${jobId}`);
    expect(() => jobEventsChannel('')).toThrow(/jobId/);
  });
  it('round-trips each event type and rejects junk', () => {
    const at = new Date().toISOString();
    const events: JobEvent[] = [
      { type: 'status', jobId, at, status: 'running' },
      { type: 'progress', jobId, at, step: 3, totalSteps: 10, loss: 1.5, tokensPerSec: 100, etaSec: 7 },
      { type: 'checkpoint', jobId, at, step: 5 },
      { type: 'alert', jobId, at, metric: 'misalignment.delta', comparator: 'gt', threshold: 0.1, mode: 'deltaFromBase', value: 0.2, step: 5, state: 'firing', message: 'up 20 points' },
    ];
    for (const e of events) expect(parseJobEvent(encodeJobEvent(e))).toEqual(e);
    expect(parseJobEvent('not json')).toBeUndefined();
    expect(parseJobEvent(JSON.stringify({ type: 'progress', jobId }))).toBeUndefined();
  });
});
