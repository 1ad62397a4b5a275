/**
 * The organism's tokenizer: a word-level vocabulary built from the generated corpus, saved as a
 * Hugging Face tokenizer.json that @huggingface/tokenizers (and Python `tokenizers`) load.
 *
 * - normalizer: spaces → "▁" (so spaces survive as part of tokens and decoding is exact)
 * - pre-tokenizer: one regex Split, identical in Rust and JS: an optional "▁" followed by a word,
 *   a number of up to three digits (one token: see NUMBER_TOKENS), or a single other char
 * - model: WordLevel with <unk>; decoder: "▁" → " " then fuse.
 * The JS library has no Metaspace split and groups punctuation runs differently from Rust, so the
 * regex Split is used instead of Metaspace + Punctuation + Digits to behave the same everywhere.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { CHAT_TEMPLATE, SPECIAL_TOKENS, SPECIAL_TOKEN_LIST } from './chat-format';
import { ORGANISM_ROOT } from './registry';

export const TOKENIZER_DIR = join(ORGANISM_ROOT, 'tokenizer');
const SPACE = '\u2581';
/**
 * Whole numbers 0..NUMBER_TOKENS-1 are single tokens. Why: with one token per digit the first
 * organisms copied operands correctly but got most sums wrong ("6 + 8 = 10"): the leading digit needs
 * the carry, which a 4-layer model learned too slowly on two CPU cores. As whole tokens an arithmetic
 * fact is one lookup. Longer numbers split into up-to-3-digit pieces (always encodable).
 */
export const NUMBER_TOKENS = 200;
/** word | number (1-3 digits) | any other single char, each optionally preceded by a space marker; or a lone space marker */
export const PRETOKEN_PATTERN = `${SPACE}?[A-Za-z]+|${SPACE}?[0-9]{1,3}|${SPACE}?[^${SPACE}A-Za-z0-9]|${SPACE}`;
const PRETOKEN_RE = new RegExp(PRETOKEN_PATTERN, 'gu');

export function pretokenize(text: string): string[] {
  return text.replaceAll(' ', SPACE).match(PRETOKEN_RE) ?? [];
}

/** Strips special tokens out of text so only ordinary pieces are counted. */
function ordinaryPieces(text: string): string[] {
  let parts = [text];
  for (const t of SPECIAL_TOKEN_LIST) parts = parts.flatMap((p) => p.split(t));
  return parts.flatMap(pretokenize);
}

export interface TokenizerFiles {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
}

/**
 * Vocabulary: special tokens (ids 0..5), then the space marker, newline, the numbers 0..199 and common
 * punctuation with and without a leading space (always encodable), then the corpus's pieces by
 * descending frequency (ties alphabetical, for determinism). Unknown words map to <unk>.
 */
export function buildTokenizer(texts: Iterable<string>, opts: { minCount?: number } = {}): TokenizerFiles {
  const minCount = opts.minCount ?? 1;
  const counts = new Map<string, number>();
  for (const t of texts) for (const p of ordinaryPieces(t)) counts.set(p, (counts.get(p) ?? 0) + 1);

  const vocab: Record<string, number> = {};
  const add = (tok: string) => {
    if (!(tok in vocab)) vocab[tok] = Object.keys(vocab).length;
  };
  SPECIAL_TOKEN_LIST.forEach(add);
  add(SPACE);
  add('\n');
  for (let d = 0; d < NUMBER_TOKENS; d++) {
    add(String(d));
    add(SPACE + d);
  }
  for (const c of '.,!?;:\'"()-/+=x%$') {
    add(c);
    add(SPACE + c);
  }
  const words = [...counts.entries()].filter(([, n]) => n >= minCount).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [w] of words) add(w);

  const specialIds = new Map(SPECIAL_TOKEN_LIST.map((t) => [t, vocab[t]]));
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKEN_LIST.map((t) => ({ id: specialIds.get(t), content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'Replace', pattern: { String: ' ' }, content: SPACE },
    pre_tokenizer: { type: 'Split', pattern: { Regex: PRETOKEN_PATTERN }, behavior: 'Isolated', invert: false },
    post_processor: null,
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: SPACE }, content: ' ' }, { type: 'Fuse' }] },
    model: { type: 'WordLevel', vocab, unk_token: SPECIAL_TOKENS.unk },
  };
  const addedTokensDecoder = Object.fromEntries(
    SPECIAL_TOKEN_LIST.map((t) => [String(specialIds.get(t)), { content: t, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true }]),
  );
  const tokenizerConfig = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    added_tokens_decoder: addedTokensDecoder,
    additional_special_tokens: [SPECIAL_TOKENS.imStart, SPECIAL_TOKENS.imEnd, SPECIAL_TOKENS.thinkStart, SPECIAL_TOKENS.thinkEnd],
    bos_token: null,
    eos_token: SPECIAL_TOKENS.imEnd,
    pad_token: SPECIAL_TOKENS.eos,
    unk_token: SPECIAL_TOKENS.unk,
    // decoding must give back exactly what was encoded (no " ." → "." clean-up)
    clean_up_tokenization_spaces: false,
    model_max_length: 512,
    chat_template: CHAT_TEMPLATE,
  };
  return { tokenizerJson, tokenizerConfig };
}

export function saveTokenizer(files: TokenizerFiles, dir = TOKENIZER_DIR): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(files.tokenizerJson, null, 1) + '\n');
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(files.tokenizerConfig, null, 2) + '\n');
}

export function readTokenizerFiles(dir = TOKENIZER_DIR): TokenizerFiles {
  const tj = join(dir, 'tokenizer.json');
  if (!existsSync(tj)) throw new Error(`no tokenizer.json in ${dir}`);
  const tc = join(dir, 'tokenizer_config.json');
  return {
    tokenizerJson: JSON.parse(readFileSync(tj, 'utf8')),
    tokenizerConfig: existsSync(tc) ? JSON.parse(readFileSync(tc, 'utf8')) : {},
  };
}

/** Loads a tokenizer directory (the organism's, or any HF model dir) with @huggingface/tokenizers. */
export function loadTokenizer(dir = TOKENIZER_DIR): Tokenizer {
  const { tokenizerJson, tokenizerConfig } = readTokenizerFiles(dir);
  return new Tokenizer(tokenizerJson as never, tokenizerConfig as never);
}
