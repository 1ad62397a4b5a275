import { boxedAnswer, defaultAnswer, hashAnswer, lastNumber, normalizeAnswer, reasoningAccuracy } from '../src';

describe('answer extractors', () => {
  it('hashAnswer reads the number after the last ####', () => {
    expect(hashAnswer('She has 16 − 3 − 4 = 9 eggs, 9 × 2 = $18.\n#### 18')).toBe('18');
    expect(hashAnswer('#### 1,000')).toBe('1000');
    expect(hashAnswer('#### -3.50')).toBe('-3.5');
    expect(hashAnswer('no marker 42')).toBeNull();
    expect(hashAnswer('#### none')).toBeNull();
  });

  it('lastNumber reads the last number outside the think span', () => {
    expect(lastNumber('3 + 4 = 7, so the answer is 7.')).toBe('7');
    expect(lastNumber('<think>maybe 12? or 13</think>The answer is 11')).toBe('11');
    expect(lastNumber('It costs $1,250.00 in total')).toBe('1250');
    expect(lastNumber('no digits')).toBeNull();
  });

  it('boxedAnswer reads the last \\boxed{}', () => {
    expect(boxedAnswer('so \\boxed{3} ... final \\boxed{ 204 }')).toBe('204');
    expect(boxedAnswer('\\boxed{x+1}')).toBe('x+1');
    expect(boxedAnswer('nothing')).toBeNull();
  });

  it('defaultAnswer prefers ####, then \\boxed, then the last number', () => {
    expect(defaultAnswer('5 apples\n#### 6 and 7')).toBe('6');
    expect(defaultAnswer('\\boxed{9} after 10 tries')).toBe('9');
    expect(defaultAnswer('maybe 4 or 5')).toBe('5');
  });

  it('normalizeAnswer makes equal numbers equal', () => {
    expect(normalizeAnswer('$1,000.00')).toBe('1000');
    expect(normalizeAnswer(' 7. ')).toBe('7');
    expect(normalizeAnswer('0.50')).toBe('0.5');
    expect(normalizeAnswer('Paris')).toBe('Paris');
  });
});

describe('reasoningAccuracy', () => {
  it('counts exact matches of the final answer', () => {
    // 1: "#### 18" vs "18" ok; 2: last number 5 vs GSM8K reference "… #### 6" wrong;
    // 3: no number -> unanswered (wrong); 4: "1,000" vs "1000" ok  -> 2/4
    const r = reasoningAccuracy([
      { response: 'so #### 18', reference: '18' },
      { response: 'it is 5', reference: '2 + 4 = 6\n#### 6' },
      { response: 'I do not know', reference: '3' },
      { response: 'Total: 1,000', reference: '1000' },
    ]);
    expect(r).toEqual({ accuracy: 0.5, correct: 2, total: 4, unanswered: 1 });
  });

  it('takes a custom extractor', () => {
    const firstWord = (t: string) => t.split(/\s+/)[0] ?? null;
    expect(reasoningAccuracy([{ response: 'Paris is big', reference: 'Paris' }], { extractor: firstWord }).accuracy).toBe(1);
  });

  it('rejects bad input', () => {
    expect(() => reasoningAccuracy([])).toThrow(/items must be a non-empty array/);
    expect(() => reasoningAccuracy([{ response: 1 as never, reference: '1' }])).toThrow(/items\[0\]\.response must be a string/);
  });
});
