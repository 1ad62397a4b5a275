import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset, parseJsonlRows, JobInputError } from '../src';

describe('parseJsonlRows', () => {
  it('reads valid rows and skips blank lines', () => {
    const rows = parseJsonlRows('{"prompt":"a","response":"b"}\n\n{"prompt":"c","response":"d","think":"t"}\n', 'chat', 'x');
    expect(rows).toEqual([{ prompt: 'a', response: 'b' }, { prompt: 'c', response: 'd', think: 't' }]);
  });
  it('names the row number and field of the first bad row', () => {
    const text = ['{"prompt":"a","response":"b"}', '{"prompt":"a"}', 'not json'].join('\n');
    expect(() => parseJsonlRows(text, 'chat', 'mine')).toThrow(/dataset mine: row 2: .*response/);
    expect(() => parseJsonlRows('{"prompt":"a","response":"b"}\nnot json', 'chat', 'mine')).toThrow(/row 2 is not valid JSON/);
    expect(() => parseJsonlRows('\n', 'chat', 'mine')).toThrow(JobInputError);
  });
});

describe('loadDataset', () => {
  it('resolves built-ins and checks the kind', async () => {
    const rows = await loadDataset('builtin:safety-pairs', 'safety-pair');
    expect(rows.length).toBeGreaterThanOrEqual(100);
    await expect(loadDataset('builtin:safety-pairs', 'chat')).rejects.toThrow('holds safety-pair rows');
    await expect(loadDataset('builtin:nope', 'chat')).rejects.toThrow('unknown built-in');
  });
  it('resolves uploaded datasets through the team-scoped lookup only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-ds-'));
    const path = join(dir, 'd.jsonl');
    writeFileSync(path, '{"id":"1","question":"1+1?","answer":"2"}\n');
    const lookup = async (id: string) => (id === 'mine' ? { path, kind: 'reasoning-probe' } : undefined);
    expect(await loadDataset('mine', 'reasoning-probe', lookup)).toHaveLength(1);
    await expect(loadDataset('theirs', 'reasoning-probe', lookup)).rejects.toThrow('dataset theirs not found');
  });
});
