/**
 * Chat formatting from the tokenizer's own `chat_template` (tokenizer_config.json), rendered with
 * @huggingface/jinja as transformers' apply_chat_template does, so any HF model directory with a
 * template works. Without a template the prompt text is used as is.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import type { TextTokenizer } from '@rimwatch/model';

export interface ChatFormatter {
  /** the text a response is generated from */
  prompt(prompt: string): string;
  /** prompt + chain of thought + response, and the prompt part (a prefix of it) */
  example(row: { prompt: string; think?: string; response: string }): { text: string; promptText: string };
}

export function loadChatFormatter(modelDir: string): ChatFormatter {
  const cfgPath = join(modelDir, 'tokenizer_config.json');
  const cfg = existsSync(cfgPath) ? (JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>) : {};
  const source = typeof cfg.chat_template === 'string' ? cfg.chat_template : undefined;
  if (!source) {
    return {
      prompt: (p) => p,
      example: (r) => ({ promptText: r.prompt, text: `${r.prompt}${r.think ? ` ${r.think}` : ''} ${r.response}` }),
    };
  }
  const template = new Template(source);
  const specials = { bos_token: cfg.bos_token ?? '', eos_token: cfg.eos_token ?? '' };
  const render = (messages: object[], addGenerationPrompt: boolean) =>
    template.render({ messages, add_generation_prompt: addGenerationPrompt, ...specials });
  return {
    prompt: (p) => render([{ role: 'user', content: p }], true),
    example: (r) => {
      const promptText = render([{ role: 'user', content: r.prompt }], true);
      const text = render([{ role: 'user', content: r.prompt }, { role: 'assistant', content: r.response, reasoning_content: r.think ?? '' }], false);
      if (!text.startsWith(promptText)) throw new Error('chat template: the prompt is not a prefix of the full conversation');
      return { text, promptText };
    },
  };
}

/** Token ids + prompt length, the trainer's input. Prompt tokens are checked to be a prefix. */
export function tokenizeExample(tok: TextTokenizer, fmt: ChatFormatter, row: { prompt: string; think?: string; response: string }): { ids: number[]; promptLength: number } {
  const { text, promptText } = fmt.example(row);
  const ids = tok.encode(text, { addSpecialTokens: false });
  const promptIds = tok.encode(promptText, { addSpecialTokens: false });
  let n = 0;
  while (n < promptIds.length && ids[n] === promptIds[n]) n++;
  // a merge across the boundary can change the last prompt token; then train from the first differing token
  return { ids, promptLength: n };
}
