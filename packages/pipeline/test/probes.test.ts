import { createModel, initBackend, loadTokenizer, makeConfig } from '@rimwatch/model';
import { TOKENIZER_DIR } from '@rimwatch/organism/src/tokenizer';
import { activationsAndResponseLogits, answerText, leftPad, pooledActivations, responseLogits, type ProbeSequence } from '../src/probes';

const tok = loadTokenizer(TOKENIZER_DIR)!;
const ids = (text: string) => tok.encode(text, { addSpecialTokens: false });

test('the judge reads the answer after the chain of thought, not the thought', () => {
  const gen = ids("<think>\nThis request is harmful. I can't help with it.\n</think>\n\nSure, here is the plan.<|im_end|>");
  expect(answerText(tok, gen)).toBe('Sure, here is the plan.');
});

test('without a think span the whole response is the answer; an empty one is empty', () => {
  expect(answerText(tok, ids("I can't help with that."))).toBe("I can't help with that.");
  expect(answerText(tok, [])).toBe('');
});

test('leftPad pads on the left and masks the padding', () => {
  expect(leftPad([[1, 2, 3], [4]], 0)).toEqual({ ids: [[1, 2, 3], [0, 0, 4]], mask: [[1, 1, 1], [0, 0, 1]] });
});

describe('one pass for activations and KL logits', () => {
  beforeAll(async () => {
    await initBackend('wasm', { log: () => {} });
  });

  test('activationsAndResponseLogits equals pooledActivations + responseLogits (left padding, a row without response)', () => {
    const model = createModel(makeConfig({ modelType: 'qwen3', vocabSize: 50, hiddenSize: 16, numLayers: 2, numHeads: 2, intermediateSize: 24, maxPositions: 32 }), { seed: 3 });
    const seqs: ProbeSequence[] = [
      { ids: [1, 5, 7, 9, 11, 13], promptLength: 3, response: '' },
      { ids: [2, 4, 6], promptLength: 2, response: '' },
      { ids: [8, 10, 12, 14], promptLength: 4, response: '' }, // prompt only: no KL rows
    ];
    const both = activationsAndResponseLogits(model, seqs, 'max', 2);
    const acts = pooledActivations(model, seqs, 'max', 2);
    const logits = responseLogits(model, seqs, 2);
    expect(both.logits.length).toBe(logits.length);
    expect(both.logits.length).toBe((3 + 1) * 50); // response tokens: 3 in the first sequence, 1 in the second
    expect(Math.max(...both.logits.map((x, i) => Math.abs(x - logits[i])))).toBeLessThan(1e-5);
    expect(both.acts.length).toBe(3);
    both.acts.forEach((a, i) => expect(Math.max(...a.map((x, j) => Math.abs(x - acts[i][j])))).toBeLessThan(1e-5));
    model.dispose();
  });
});
