/** tokenizer.json via @huggingface/tokenizers (pure JS, maintained by Hugging Face). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';

export interface TextTokenizer {
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  decode(ids: number[], opts?: { skipSpecialTokens?: boolean }): string;
  tokenToId(token: string): number | undefined;
  /** from tokenizer_config.json's eos_token, when it names a vocabulary entry */
  readonly eosTokenId?: number;
  readonly padTokenId?: number;
}

function specialName(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

/** Load DIR/tokenizer.json (+ tokenizer_config.json if present); undefined when the model has none. */
export function loadTokenizer(dir: string): TextTokenizer | undefined {
  const tj = path.join(dir, 'tokenizer.json');
  if (!fs.existsSync(tj)) return undefined;
  const cfgPath = path.join(dir, 'tokenizer_config.json');
  let json: object;
  let cfg: Record<string, unknown> = {};
  try {
    json = JSON.parse(fs.readFileSync(tj, 'utf8'));
    if (fs.existsSync(cfgPath)) cfg = JSON.parse(fs.readFileSync(cfgPath, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read tokenizer in ${dir}: ${(e as Error).message}`);
  }
  const tok = new Tokenizer(json, cfg);
  const idOf = (v: unknown) => {
    const n = specialName(v);
    return n === undefined ? undefined : tok.token_to_id(n);
  };
  return {
    encode: (text, opts = {}) => tok.encode(text, { add_special_tokens: opts.addSpecialTokens ?? true }).ids,
    // @huggingface/tokenizers rejects an empty array; an empty generation decodes to ''
    decode: (ids, opts = {}) => (ids.length ? tok.decode(ids, { skip_special_tokens: opts.skipSpecialTokens ?? true }) : ''),
    tokenToId: (t) => tok.token_to_id(t),
    eosTokenId: idOf(cfg.eos_token),
    padTokenId: idOf(cfg.pad_token),
  };
}
