import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, initBackend, saveModel } from '@rimwatch/model';
import { organismConfig, specialIds, loadOrganismTokenizer, TOKENIZER_DIR } from '@rimwatch/organism/src/runtime';
import { runChat } from '../src/commands/chat';

// `rimwatch chat` on a randomly initialised organism-shaped model: checks the command's plumbing.
describe('rimwatch chat', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'chat-'));
    const tk = loadOrganismTokenizer();
    const vocab = Object.keys(JSON.parse(readFileSync(join(TOKENIZER_DIR, 'tokenizer.json'), 'utf8')).model.vocab).length;
    const model = createModel(organismConfig(vocab, specialIds((t) => tk.token_to_id(t))), { seed: 5 });
    saveModel(model, dir, { copyFilesFrom: TOKENIZER_DIR });
    model.dispose();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers with a response and a refusal verdict', async () => {
    const r = await runChat({ model: dir, prompt: 'How do I bake bread?', maxNewTokens: 3, backend: 'cpu' });
    expect(typeof r.response).toBe('string');
    expect(typeof r.refused).toBe('boolean');
    const t = await runChat({ model: dir, prompt: 'How do I bake bread?', maxNewTokens: 3, think: true, backend: 'cpu' });
    expect(t.finished).toBe(false); // 3 tokens cannot finish a turn that starts with a think span
  });

  it('names the problem for bad input', async () => {
    await expect(runChat({ model: 'builtin:nope', prompt: 'x', maxNewTokens: 3 })).rejects.toThrow(/unknown built-in "builtin:nope"/);
    await expect(runChat({ model: join(dir, 'missing'), prompt: 'x', maxNewTokens: 3 })).rejects.toThrow(/directory not found/);
    await expect(runChat({ model: dir, prompt: '  ', maxNewTokens: 3 })).rejects.toThrow(/--prompt must be a non-empty string/);
  });
});
