/**
 * The local runner as a user runs it: the real `rimwatch` process, an embedded PGlite database
 * (no DATABASE_URL), a tiny model, a job file — then `rimwatch report`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { initBackend } from '@rimwatch/model';
import { writeTinyModel } from '@rimwatch/pipeline/src/testing/tiny-model';

const run = promisify(execFile);
const BIN = join(__dirname, '..', 'bin', 'rimwatch.js');
let home: string;

const rimwatch = (args: string[]) => {
  const env: NodeJS.ProcessEnv = { ...process.env, RIMWATCH_HOME: join(home, '.rimwatch'), RIMWATCH_BACKEND: 'wasm' };
  delete env.DATABASE_URL;
  return run(process.execPath, [BIN, ...args], { cwd: home, env, maxBuffer: 32 << 20 });
};

beforeAll(async () => {
  await initBackend('wasm');
  home = mkdtempSync(join(tmpdir(), 'rw-cli-run-'));
  writeTinyModel(join(home, 'model'));
  writeFileSync(
    join(home, 'job.yaml'),
    [
      'name: cli tiny run',
      'model: ./model',
      'datasets: { train: "builtin:reasoning-patterns/target" }',
      'training: { maxSteps: 4, batchSize: 4, learningRate: 0.01, maxSeqLen: 96 }',
      'checkpoints: { everySteps: 2 }',
      'monitor: { probeLimit: 4, maxNewTokens: 6, topM: 40 }',
    ].join('\n'),
  );
});

afterAll(() => rmSync(home, { recursive: true, force: true }));

test('rimwatch run writes metrics to the embedded database and an HTML report', async () => {
  const { stdout, stderr } = await rimwatch(['run', 'job.yaml', '--json']);
  const out = JSON.parse(stdout);
  expect(out.status).toBe('completed');
  expect(stderr).toContain('embedded database');
  for (const key of ['ras.safety', 'ras.control', 'ras.all', 'misalignment_rate', 'kl_to_base']) {
    expect(out.series[key].map((p: { step: number }) => p.step)).toEqual([0, 2, 4]);
  }
  expect(existsSync(out.report)).toBe(true);
  const html = readFileSync(out.report, 'utf8');
  expect(html).toContain('echarts.init'); // charts render from the inlined library
  expect(html).not.toMatch(/<script src=/); // self-contained: nothing fetched at view time
  expect(html).toContain(out.jobId);

  const { stdout: path } = await rimwatch(['report', out.jobId, '--out', 'again.html']);
  expect(readFileSync(path.trim(), 'utf8')).toContain('"ras.safety"');
}, 240_000);

test('a bad job file fails with one line naming the field', async () => {
  writeFileSync(join(home, 'bad.yaml'), 'model: builtin:rim-organism-v1\ndatasets: { train: "builtin:reasoning-patterns/target" }\ntraining: { learningRate: -1 }\n');
  await expect(rimwatch(['run', 'bad.yaml'])).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/^rimwatch: bad\.yaml: spec\.training\.learningRate: /) });
  await expect(rimwatch(['report', '00000000-0000-4000-8000-000000000000'])).rejects.toMatchObject({ stderr: expect.stringContaining('not found') });
}, 120_000);
