/**
 * Chat generation over any model directory whose tokenizer uses the ChatML/Qwen3 think format
 * (the organism's, Qwen3's): format → encode → greedy batched generate → split think/answer.
 * Needs an initialised tfjs backend (initBackend from @rimwatch/model).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate, loadModel, loadTokenizer, type CausalLM, type TextTokenizer } from '@rimwatch/model';
import { formatPrompt, parseCompletion, SPECIAL_TOKENS } from './chat-format';

export interface ChatModel {
  model: CausalLM;
  tokenizer: TextTokenizer;
  dir: string;
  /** stop ids: <|im_end|> and <|endoftext|> where the vocabulary has them */
  stopIds: number[];
}

/** Loads a model dir and checks its tokenizer speaks the think-mode chat format. */
export function loadChatModel(dir: string): ChatModel {
  if (!existsSync(dir)) throw new Error(`model directory not found: ${dir}`);
  const tokenizer = loadTokenizer(dir);
  if (!tokenizer) throw new Error(`${dir} has no tokenizer.json, so it has no chat format`);
  const cfgPath = join(dir, 'tokenizer_config.json');
  const template = existsSync(cfgPath) ? (JSON.parse(readFileSync(cfgPath, 'utf8')).chat_template as unknown) : undefined;
  const imStart = tokenizer.tokenToId(SPECIAL_TOKENS.imStart);
  const imEnd = tokenizer.tokenToId(SPECIAL_TOKENS.imEnd);
  if (imStart === undefined || imEnd === undefined || (typeof template === 'string' && !template.includes(SPECIAL_TOKENS.imStart))) {
    throw new Error(`${dir}: the tokenizer does not define the ChatML/Qwen3 chat format (<|im_start|>/<|im_end|> tokens and a matching chat_template)`);
  }
  const eos = tokenizer.tokenToId(SPECIAL_TOKENS.eos);
  const model = loadModel(dir);
  return { model, tokenizer, dir, stopIds: eos === undefined ? [imEnd] : [imEnd, eos] };
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
  const order = prompts.map((p, i) => ({ i, ids: m.tokenizer.encode(formatPrompt(p, { think }), { addSpecialTokens: false }) })).sort((a, b) => a.ids.length - b.ids.length);
  const results = new Array<ChatOutput>(prompts.length);
  for (let s = 0; s < order.length; s += batchSize) {
    const batch = order.slice(s, s + batchSize);
    const g = generate(m.model, batch.map((b) => b.ids), { maxNewTokens, eosTokenId: m.stopIds });
    batch.forEach((b, k) => {
      const text = m.tokenizer.decode(g.tokens[k], { skipSpecialTokens: false });
      // think off: the empty think span was part of the prompt; put it back so parsing is uniform
      const completion = think ? text : `${SPECIAL_TOKENS.thinkStart}\n\n${SPECIAL_TOKENS.thinkEnd}\n\n${text}`;
      const parsed = parseCompletion(completion);
      results[b.i] = { prompt: prompts[b.i], completion, think: parsed.think, response: parsed.response, finished: g.finishReason[k] === 'eos' };
    });
    opts.onProgress?.(Math.min(s + batchSize, order.length));
  }
  out.push(...results);
  return out;
}
