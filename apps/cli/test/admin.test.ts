import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseApiKey, verifyApiKey } from '@rimwatch/db';
import { createEmptyTestDatabase, createTestDatabase, type TestDatabase } from '@rimwatch/db/src/testing';

// Each test starts the real CLI (node + tsx) several times; slow on a busy 2-core machine.
jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '../../..');
const BIN = path.join(ROOT, 'apps/cli/bin/rimwatch.js'); // what `npx rimwatch` runs

interface Result { code: number; stdout: string; stderr: string }

function rimwatch(args: string[], env: Record<string, string>): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

test('create-team --json prints exactly {teamId, apiKey}, and the key verifies against the stored hash', async () => {
  const r = await rimwatch(['admin', 'create-team', '--name', 'Acme ML', '--json'], { DATABASE_URL: db.url });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(Object.keys(out)).toEqual(['teamId', 'apiKey']);
  expect(r.stdout).toBe(`${JSON.stringify(out)}\n`);

  const parsed = parseApiKey(out.apiKey);
  expect(parsed).not.toBeNull();
  const stored = await db.prisma.apiKey.findUniqueOrThrow({ where: { prefix: parsed!.prefix }, include: { team: true } });
  expect(stored.teamId).toBe(out.teamId);
  expect(stored.team.name).toBe('Acme ML');
  expect(stored.revokedAt).toBeNull();
  expect(stored.hash).not.toContain(parsed!.secret);
  expect(verifyApiKey(out.apiKey, stored.hash)).toBe(true);
});

test('create-team without --json prints the team id and key for a person', async () => {
  const r = await rimwatch(['admin', 'create-team', '--name', 'people'], { DATABASE_URL: db.url });
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^team\s+[0-9a-f-]{36}\napi key\s+rw_[A-Za-z0-9]{8}_[A-Za-z0-9]{32}\n/);
});

test('bad input and an unreachable or unmigrated database give one clear line and a non-zero exit', async () => {
  const empty = await rimwatch(['admin', 'create-team', '--name', '  '], { DATABASE_URL: db.url });
  expect(empty.code).toBe(1);
  expect(empty.stderr).toBe('rimwatch: --name must not be empty\n');

  const missing = await rimwatch(['admin', 'create-team'], { DATABASE_URL: db.url });
  expect(missing.code).not.toBe(0);
  expect(missing.stderr).toMatch(/required option '--name <name>'/);

  const down = await rimwatch(['admin', 'create-team', '--name', 'x'], { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/none' });
  expect(down.code).toBe(1);
  expect(down.stderr.trim().split('\n')).toHaveLength(1);
  expect(down.stderr).toMatch(/^rimwatch: cannot reach the database/);

  const bare = await createEmptyTestDatabase();
  try {
    const unmigrated = await rimwatch(['admin', 'create-team', '--name', 'x'], { DATABASE_URL: bare.url });
    expect(unmigrated.code).toBe(1);
    expect(unmigrated.stderr.trim().split('\n')).toHaveLength(1);
    expect(unmigrated.stderr).toMatch(/not migrated; run `rimwatch admin migrate`/);

    const migrated = await rimwatch(['admin', 'migrate'], { DATABASE_URL: bare.url });
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toMatch(/applied \d+ migration\(s\) to .*: \d{14}_init, \d{14}_metrics_version/);
    const again = await rimwatch(['admin', 'migrate'], { DATABASE_URL: bare.url });
    expect(again.stdout).toMatch(/is up to date/);
  } finally {
    await bare.drop();
  }
});
