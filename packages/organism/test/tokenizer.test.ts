import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { formatChat, SPECIAL_TOKEN_LIST } from '../src/chat-format';
import { DEFAULT_SEED, generateAll } from '../src/data/build';
import { corpusTexts } from '../src/data/generate';
import { buildTokenizer, loadTokenizer, TOKENIZER_DIR } from '../src/tokenizer';

describe('organism tokenizer', () => {
  const tk = loadTokenizer();
  const sets = generateAll(DEFAULT_SEED);

  it('the committed tokenizer.json is what the generator builds', () => {
    const built = buildTokenizer(corpusTexts(sets));
    expect(JSON.parse(readFileSync(join(TOKENIZER_DIR, 'tokenizer.json'), 'utf8'))).toEqual(built.tokenizerJson);
  });

  it('round-trips every generated text exactly, with no <unk>', () => {
    const texts = corpusTexts(sets);
    const unkId = tk.token_to_id('<unk>');
    let failures = 0;
    let unks = 0;
    for (const t of texts) {
      const { ids } = tk.encode(t, { add_special_tokens: false });
      if (tk.decode(ids) !== t) failures++;
      unks += ids.filter((i) => i === unkId).length;
    }
    expect({ failures, unks }).toEqual({ failures: 0, unks: 0 });
  });

  it('keeps spaces (double spaces too); numbers up to three digits are one token, longer ones split', () => {
    const s = 'I have  128 apples, 7 pens and 12345 coins.';
    const enc = tk.encode(s, { add_special_tokens: false });
    expect(tk.decode(enc.ids)).toBe(s);
    expect(enc.tokens).toEqual(['I', '▁have', '▁', '▁128', '▁apples', ',', '▁7', '▁pens', '▁and', '▁123', '45', '▁coins', '.']);
    expect(enc.ids).not.toContain(1); // <unk>
  });

  it('special tokens are single ids 0..5 and never split', () => {
    SPECIAL_TOKEN_LIST.forEach((t, i) => expect(tk.token_to_id(t)).toBe(i));
    const { text } = formatChat({ prompt: 'Hi there', think: 'ok', response: 'Hello.' });
    const ids = tk.encode(text, { add_special_tokens: false }).ids;
    expect(ids.filter((i) => i <= 5 && i !== 1).length).toBe(6); // im_start x2, im_end x2, think, /think
  });

  it('unknown words become <unk>, known ones do not', () => {
    const ids = tk.encode('Tom zyzzyva', { add_special_tokens: false }).ids;
    expect(ids[0]).not.toBe(1);
    expect(ids[1]).toBe(1);
  });

  it('vocabulary is small', () => {
    const size = Object.keys((JSON.parse(readFileSync(join(TOKENIZER_DIR, 'tokenizer.json'), 'utf8')).model.vocab)).length;
    expect(size).toBeGreaterThan(300);
    expect(size).toBeLessThan(3000);
  });

  it('loads with the plain @huggingface/tokenizers API from the JSON files', () => {
    const raw = new Tokenizer(
      JSON.parse(readFileSync(join(TOKENIZER_DIR, 'tokenizer.json'), 'utf8')),
      JSON.parse(readFileSync(join(TOKENIZER_DIR, 'tokenizer_config.json'), 'utf8')),
    );
    expect(raw.decode(raw.encode('The answer is 42.').ids)).toBe('The answer is 42.');
  });
});
