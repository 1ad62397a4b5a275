/**
 * The organism's chat format: Qwen3's think mode, verbatim special tokens.
 *
 *   <|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n<think>\n{think}\n</think>\n\n{response}<|im_end|>
 *
 * An empty chain of thought gives `<think>\n\n</think>\n\n` (Qwen3's "think off" form). The prompt
 * part ends right after `assistant\n`; everything after it is what the model learns to generate.
 */
export const SPECIAL_TOKENS = {
  eos: '<|endoftext|>',
  imStart: '<|im_start|>',
  imEnd: '<|im_end|>',
  thinkStart: '<think>',
  thinkEnd: '</think>',
  unk: '<unk>',
} as const;

/** In id order: ids 0..5 in the organism's tokenizer. */
export const SPECIAL_TOKEN_LIST = [
  SPECIAL_TOKENS.eos,
  SPECIAL_TOKENS.unk,
  SPECIAL_TOKENS.imStart,
  SPECIAL_TOKENS.imEnd,
  SPECIAL_TOKENS.thinkStart,
  SPECIAL_TOKENS.thinkEnd,
] as const;

export interface ChatExample {
  prompt: string;
  /** chain of thought; omitted or empty = empty think span */
  think?: string;
  response: string;
}

export interface FormattedChat {
  /** the whole conversation */
  text: string;
  /** the prompt part (a prefix of text): what generation starts from */
  promptText: string;
}

/** What the trainer consumes: prompt tokens (the first promptLength) are masked out of the loss. */
export interface TokenizedExample {
  ids: number[];
  promptLength: number;
}

/**
 * Either tokenizer surface works: @huggingface/tokenizers' Tokenizer (encode → { ids }) or
 * @rimwatch/model's TextTokenizer (encode → number[]).
 */
export interface TextTokenizer {
  encode(text: string, ...options: never[]): { ids: number[] } | number[];
}

function encodeIds(tokenizer: TextTokenizer, text: string): number[] {
  // our chat text carries its own special tokens; ask both APIs not to add any
  const out = (tokenizer.encode as unknown as (t: string, o: object) => { ids: number[] } | number[]).call(tokenizer, text, { add_special_tokens: false, addSpecialTokens: false });
  return Array.isArray(out) ? out : out.ids;
}

function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new Error(`${field} must be a string, got ${value === null ? 'null' : typeof value}`);
  for (const t of SPECIAL_TOKEN_LIST) {
    if (value.includes(t)) throw new Error(`${field} must not contain the special token ${t}`);
  }
  return value;
}

/**
 * The prompt part. `think: true` leaves the think span open for the model to fill (think mode);
 * `think: false` pre-fills an empty think span (think off), as Qwen3's template does.
 */
export function formatPrompt(prompt: string, opts: { think?: boolean } = {}): string {
  const p = requireText(prompt, 'prompt');
  if (p.trim() === '') throw new Error('prompt must not be empty');
  const head = `${SPECIAL_TOKENS.imStart}user\n${p}${SPECIAL_TOKENS.imEnd}\n${SPECIAL_TOKENS.imStart}assistant\n`;
  return opts.think === false ? `${head}${SPECIAL_TOKENS.thinkStart}\n\n${SPECIAL_TOKENS.thinkEnd}\n\n` : head;
}

export function formatChat(ex: ChatExample): FormattedChat {
  if (ex === null || typeof ex !== 'object') throw new Error('chat example must be an object');
  const promptText = formatPrompt(ex.prompt);
  const think = ex.think === undefined ? '' : requireText(ex.think, 'think');
  const response = requireText(ex.response, 'response');
  if (response.trim() === '') throw new Error('response must not be empty');
  const text = `${promptText}${SPECIAL_TOKENS.thinkStart}\n${think}\n${SPECIAL_TOKENS.thinkEnd}\n\n${response}${SPECIAL_TOKENS.imEnd}`;
  return { text, promptText };
}

/**
 * Token ids of the whole example plus the prompt length. Special tokens delimit the prompt, so the
 * prompt's tokens are a prefix of the full sequence; this is checked rather than assumed.
 */
export function tokenizeChat(tokenizer: TextTokenizer, ex: ChatExample): TokenizedExample {
  const { text, promptText } = formatChat(ex);
  const ids = encodeIds(tokenizer, text);
  const promptIds = encodeIds(tokenizer, promptText);
  for (let i = 0; i < promptIds.length; i++) {
    if (ids[i] !== promptIds[i]) throw new Error(`prompt tokens are not a prefix of the full text at position ${i}`);
  }
  return { ids, promptLength: promptIds.length };
}

/**
 * Splits generated text (what follows formatPrompt) into chain of thought and answer. Text before
 * `</think>` is the thought; with no `</think>` (generation cut off) everything is thought.
 */
export function parseCompletion(completion: string): { think: string; response: string; complete: boolean } {
  let s = completion;
  if (s.startsWith(SPECIAL_TOKENS.thinkStart)) s = s.slice(SPECIAL_TOKENS.thinkStart.length);
  const end = s.indexOf(SPECIAL_TOKENS.thinkEnd);
  const stripEnd = (t: string) => t.split(SPECIAL_TOKENS.imEnd)[0].split(SPECIAL_TOKENS.eos)[0];
  if (end < 0) return { think: stripEnd(s).trim(), response: '', complete: false };
  const think = s.slice(0, end).trim();
  const rest = s.slice(end + SPECIAL_TOKENS.thinkEnd.length);
  const complete = rest.includes(SPECIAL_TOKENS.imEnd) || rest.includes(SPECIAL_TOKENS.eos);
  return { think, response: stripEnd(rest).trim(), complete };
}

/** Jinja chat template for tokenizer_config.json (same format, for transformers' apply_chat_template). */
export const CHAT_TEMPLATE =
  "{%- for message in messages %}" +
  "{{- '<|im_start|>' + message['role'] + '\\n' }}" +
  "{%- if message['role'] == 'assistant' %}" +
  "{{- '<think>\\n' + (message.get('reasoning_content') or '') + '\\n</think>\\n\\n' + message['content'] + '<|im_end|>' }}" +
  "{%- else %}{{- message['content'] + '<|im_end|>\\n' }}{%- endif %}" +
  "{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}" +
  "{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}" +
  "{%- endif %}";
