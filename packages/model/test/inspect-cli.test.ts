/** `rimwatch inspect` as a real process on the HF fixtures. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSafetensorsFile } from '../src/safetensors';
import { fixture, reference, relErr, tmpDir } from './helpers';

const BIN = path.resolve(__dirname, '../../../apps/cli/bin/rimwatch.js');

function rimwatch(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, RIMWATCH_BACKEND: 'wasm' }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('rimwatch inspect', () => {
  const dir = tmpDir();
  const ref = reference('gpt2-tiny');
  const idsFile = path.join(dir, 'ids.json');
  const ids = ref.get('input_ids')!.data;
  fs.writeFileSync(idsFile, JSON.stringify([Array.from(ids.slice(0, 16)), Array.from(ids.slice(16))]));

  test('writes logits, loss, hooks and grad.<HF name> matching transformers', () => {
    const out = path.join(dir, 'out.safetensors');
    const r = rimwatch(['inspect', '--model', fixture('gpt2-tiny'), '--ids', idsFile, '--out', out, '--grads']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*out.safetensors: \d+ tensors, loss 5\.92\d+ \(backend wasm\)\n$/);
    const t = readSafetensorsFile(out);
    expect(t.get('logits')!.shape).toEqual([2, 16, 320]);
    expect(t.get('logits')!.dtype).toBe('F32');
    expect(relErr(t.get('logits')!.data, ref.get('logits')!.data)).toBeLessThan(1e-4);
    expect(relErr(t.get('loss')!.data, ref.get('loss')!.data)).toBeLessThan(1e-5);
    for (const i of [0, 1]) {
      expect(relErr(t.get(`blocks.${i}.mlp.hook_post`)!.data, ref.get(`mlp_act.${i}`)!.data)).toBeLessThan(1e-4);
      expect(relErr(t.get(`blocks.${i}.attn.hook_pattern`)!.data, ref.get(`attn.${i}`)!.data)).toBeLessThan(1e-4);
    }
    const gradNames = [...t.keys()].filter((k) => k.startsWith('grad.'));
    expect(gradNames).toHaveLength(28); // every GPT-2-tiny parameter
    for (const k of [...ref.keys()].filter((n) => n.startsWith('grad.'))) expect(relErr(t.get(k)!.data, ref.get(k)!.data)).toBeLessThan(1e-3);
  });

  test('errors exit non-zero with one clear line', () => {
    const out = path.join(dir, 'x.safetensors');
    const missing = rimwatch(['inspect', '--model', path.join(dir, 'nope'), '--ids', idsFile, '--out', out]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toBe(`rimwatch: model directory not found: ${path.join(dir, 'nope')}\n`);

    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify([[1, 2, 3], [4, 5]]));
    const ragged = rimwatch(['inspect', '--model', fixture('gpt2-tiny'), '--ids', bad, '--out', out]);
    expect(ragged.code).not.toBe(0);
    expect(ragged.stderr).toBe('rimwatch: --ids: row 1 has 2 tokens, row 0 has 3 (rows must be equally long)\n');

    fs.writeFileSync(bad, JSON.stringify([[1, 2, 9999]]));
    const vocab = rimwatch(['inspect', '--model', fixture('gpt2-tiny'), '--ids', bad, '--out', out]);
    expect(vocab.stderr).toBe('rimwatch: --ids: row 0 position 2: 9999 is not a token id (vocab size 320)\n');
    expect(fs.existsSync(out)).toBe(false);
  });
});
