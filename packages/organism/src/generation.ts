/**
 * Chat generation over any model directory whose tokenizer defines a chat format: the organism's
 * (ChatML + Qwen3 think span, formatted in code), or any other `chat_template` in
 * tokenizer_config.json (rendered with @huggingface/jinja, as transformers' apply_chat_template
 * does, with `enable_thinking`). Format → encode → greedy batched generate → split think/answer.
 * Needs an initialised tfjs backend (initBackend from @rimwatch/model).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { generate, loadModel, loadTokenizer, type CausalLM, type TextTokenizer } from '@rimwatch/model';
import { formatPrompt, parseCompletion, SPECIAL_TOKENS } from './chat-format';

export interface ChatModel {
  model: CausalLM;
  tokenizer: TextTokenizer;
  dir: string;
  /** stop ids: <|im_end|> and <|endoftext|> where the vocabulary has them, and the model's eos */
  stopIds: number[];
  /** the prompt part for one user message */
  formatPrompt(prompt: string, think: boolean): string;
}

/** Loads a model dir and checks its tokenizer defines a chat format. */
export function loadChatModel(dir: string): ChatModel {
  if (!existsSync(dir)) throw new Error(`model directory not found: ${dir}`);
  const tokenizer = loadTokenizer(dir);
  if (!tokenizer) throw new Error(`${dir} has no tokenizer.json, so it has no chat format`);
  const cfgPath = join(dir, 'tokenizer_config.json');
  const cfg = existsSync(cfgPath) ? (JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>) : {};
  const template = typeof cfg.chat_template === 'string' ? cfg.chat_template : undefined;
  const imStart = tokenizer.tokenToId(SPECIAL_TOKENS.imStart);
  const imEnd = tokenizer.tokenToId(SPECIAL_TOKENS.imEnd);
  const chatml = imStart !== undefined && imEnd !== undefined && (template === undefined || template.includes(SPECIAL_TOKENS.imStart));
  let format: ChatModel['formatPrompt'];
  if (chatml) format = (p, think) => formatPrompt(p, { think });
  else if (template) {
    const t = new Template(template);
    const name = (v: unknown) => (typeof v === 'string' ? v : typeof (v as { content?: unknown })?.content === 'string' ? (v as { content: string }).content : '');
    format = (p, think) => t.render({ messages: [{ role: 'user', content: p }], add_generation_prompt: true, enable_thinking: think, bos_token: name(cfg.bos_token), eos_token: name(cfg.eos_token) });
  } else throw new Error(`${dir}: the tokenizer defines no chat format (no chat_template in tokenizer_config.json and no <|im_start|>/<|im_end|> tokens)`);
  const eos = tokenizer.tokenToId(SPECIAL_TOKENS.eos);
  const model = loadModel(dir);
  const stop = new Set([imEnd, eos, tokenizer.eosTokenId, ...([] as number[]).concat(model.config.eosTokenId ?? [])].filter((x): x is number => x !== undefined));
  return { model, tokenizer, dir, stopIds: [...stop], formatPrompt: format };
}

export interface ChatOptions {
  /** think mode (default true): the model writes its own <think> span; false pre-fills an empty one */
  think?: boolean;
  maxNewTokens?: number;
  batchSize?: number;
  /** called after each batch with the number of prompts done */
  onProgress?: (done: number) => void;
}

export interface ChatOutput {
  prompt: string;
  /** everything generated, special tokens included (the think span when think mode is on) */
  completion: string;
  think: string;
  response: string;
  /** the model ended its turn (did not run out of tokens) */
  finished: boolean;
}

export function chat(m: ChatModel, prompts: readonly string[], opts: ChatOptions = {}): ChatOutput[] {
  const think = opts.think ?? true;
  const maxNewTokens = opts.maxNewTokens ?? 128;
  const batchSize = opts.batchSize ?? 32;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens <= 0) throw new Error(`maxNewTokens must be a positive integer, got ${maxNewTokens}`);
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const out: ChatOutput[] = [];
  // similar lengths together keep left padding short; results go back in input order
  const order = prompts.map((p, i) => ({ i, ids: m.tokenizer.encode(m.formatPrompt(p, think), { addSpecialTokens: false }) })).sort((a, b) => a.ids.length - b.ids.length);
  const results = new Array<ChatOutput>(prompts.length);
  for (let s = 0; s < order.length; s += batchSize) {
    const batch = order.slice(s, s + batchSize);
    const g = generate(m.model, batch.map((b) => b.ids), { maxNewTokens, eosTokenId: m.stopIds });
    batch.forEach((b, k) => {
      const text = m.tokenizer.decode(g.tokens[k], { skipSpecialTokens: false });
      // think off: the empty think span was part of the prompt; put it back so parsing is uniform
      const prefilled = !think && m.formatPrompt('x', false).endsWith(`${SPECIAL_TOKENS.thinkEnd}\n\n`);
      const completion = prefilled ? `${SPECIAL_TOKENS.thinkStart}\n\n${SPECIAL_TOKENS.thinkEnd}\n\n${text}` : text;
      // a model that never opens a think span answers directly
      const parsed = completion.includes(SPECIAL_TOKENS.thinkStart) ? parseCompletion(completion) : { think: '', response: text.trim(), complete: true };
      results[b.i] = { prompt: prompts[b.i], completion, think: parsed.think, response: parsed.response, finished: g.finishReason[k] === 'eos' };
    });
    opts.onProgress?.(Math.min(s + batchSize, order.length));
  }
  out.push(...results);
  return out;
}
