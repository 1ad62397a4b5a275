import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadMigrations } from '../src/migrate';

// PGlite runs in a child process (see fixtures/embedded-roundtrip.ts for why).
const ROOT = path.resolve(__dirname, '../../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const FIXTURE = path.join(__dirname, 'fixtures/embedded-roundtrip.ts');

async function roundtrip(dir: string, mode: 'write' | 'read') {
  const { stdout } = await promisify(execFile)(TSX, [FIXTURE, dir, mode], { cwd: ROOT, timeout: 170_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rimwatch-pglite-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// PGlite's first start runs initdb in WebAssembly: ~8 s of CPU, much longer on a busy 2-core box.
test('a PGlite database in a directory is migrated, works through Prisma, and persists across reopen', async () => {
  const names = loadMigrations().map((m) => m.name);
  const first = await roundtrip(path.join(dir, 'db'), 'write');
  expect(first.applied).toEqual(names);
  expect(first.recorded).toBe(names.length);
  expect(first.metrics).toEqual([{ key: 'ras.safety', step: 5, value: 0.2 }]);
  expect(first.neuronSets).toEqual([{ kind: 'safety', indices: [1, 2, 3] }]);
  expect(first.jobs).toEqual([{ status: 'queued', spec: { model: 'builtin:rim-organism-v1' } }]);

  const again = await roundtrip(path.join(dir, 'db'), 'read');
  expect(again.applied).toEqual([]);
  expect(again.recorded).toBe(names.length);
  expect(again.metrics).toEqual(first.metrics);
  expect(again.neuronSets).toEqual(first.neuronSets);
}, 360_000);
