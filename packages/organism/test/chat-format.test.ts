import { Template } from '@huggingface/jinja';
import { CHAT_TEMPLATE, formatChat, formatPrompt, parseCompletion, tokenizeChat } from '../src/chat-format';
import { loadTokenizer } from '../src/tokenizer';

describe('chat format', () => {
  it('formats a think-mode conversation like Qwen3', () => {
    const { text, promptText } = formatChat({ prompt: 'What is 2 + 3?', think: '2 + 3 = 5.', response: 'The answer is 5.' });
    expect(promptText).toBe('<|im_start|>user\nWhat is 2 + 3?<|im_end|>\n<|im_start|>assistant\n');
    expect(text).toBe(`${promptText}<think>\n2 + 3 = 5.\n</think>\n\nThe answer is 5.<|im_end|>`);
  });

  it('an omitted chain of thought gives an empty think span', () => {
    expect(formatChat({ prompt: 'Hi', response: 'Hello.' }).text).toContain('<think>\n\n</think>\n\nHello.<|im_end|>');
    expect(formatPrompt('Hi', { think: false })).toMatch(/assistant\n<think>\n\n<\/think>\n\n$/);
  });

  it('rejects bad input naming the field', () => {
    expect(() => formatChat({ prompt: '', response: 'x' })).toThrow(/prompt/);
    expect(() => formatChat({ prompt: 'a', response: 1 as unknown as string })).toThrow(/response must be a string/);
    expect(() => formatChat({ prompt: 'a <|im_end|>', response: 'x' })).toThrow(/prompt must not contain the special token <\|im_end\|>/);
    expect(() => formatChat({ prompt: 'a', think: '</think>', response: 'x' })).toThrow(/think/);
  });

  it('tokenizes to ids with the prompt as a masked prefix', () => {
    const tk = loadTokenizer();
    const ex = { prompt: 'Tom has 5 apples. He gets 3 more. How many apples does Tom have now?', think: '5 + 3 = 8.', response: 'The answer is 8.' };
    const { ids, promptLength } = tokenizeChat(tk, ex);
    expect(tk.decode(ids.slice(0, promptLength))).toBe(formatChat(ex).promptText);
    expect(tk.decode(ids.slice(promptLength))).toBe('<think>\n5 + 3 = 8.\n</think>\n\nThe answer is 8.<|im_end|>');
  });

  it('the chat_template (rendered as transformers/the pipeline do) gives exactly the same text', () => {
    const t = new Template(CHAT_TEMPLATE);
    const user = { role: 'user', content: 'Tom has 5 apples.' };
    expect(t.render({ messages: [user], add_generation_prompt: true })).toBe(formatPrompt(user.content));
    expect(t.render({ messages: [user], add_generation_prompt: true, enable_thinking: false })).toBe(formatPrompt(user.content, { think: false }));
    expect(t.render({ messages: [user, { role: 'assistant', content: 'The answer is 5.', reasoning_content: 'He has 5.' }] })).toBe(
      formatChat({ prompt: user.content, think: 'He has 5.', response: 'The answer is 5.' }).text,
    );
    expect(t.render({ messages: [user, { role: 'assistant', content: 'Hi.' }] })).toBe(formatChat({ prompt: user.content, response: 'Hi.' }).text);
  });

  it('parses a completion into thought and answer', () => {
    expect(parseCompletion('<think>\nfine\n</think>\n\nSure.<|im_end|>junk')).toEqual({ think: 'fine', response: 'Sure.', complete: true });
    expect(parseCompletion('cut off mid thought')).toEqual({ think: 'cut off mid thought', response: '', complete: false });
  });
});
