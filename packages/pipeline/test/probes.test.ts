import { loadTokenizer } from '@rimwatch/model';
import { TOKENIZER_DIR } from '@rimwatch/organism/src/tokenizer';
import { answerText, leftPad } from '../src/probes';

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
