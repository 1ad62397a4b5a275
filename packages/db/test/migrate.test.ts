import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync, appendFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { checksumOf, DEFAULT_MIGRATIONS_DIR, loadMigrations, migrate, MigrationChecksumError } from '../src/migrate';
import { createEmptyTestDatabase } from '../src/testing';

const run = promisify(execFile);
jest.setTimeout(120_000); // some tests start tsx child processes
const ROOT = path.resolve(__dirname, '../../..');

const MODEL_TABLES = [
  'Team', 'ApiKey', 'Job', 'Checkpoint', 'Metric', 'NeuronSet', 'AlertRule', 'AlertEvent',
  'WebhookEndpoint', 'WebhookDelivery', 'Dataset',
];

async function query<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

function schemaModels(): string[] {
  const schema = readFileSync(path.join(ROOT, 'prisma/schema.prisma'), 'utf8');
  return [...schema.matchAll(/^model (\w+) \{/gm)].map((m) => m[1]);
}

describe('migrate()', () => {
  let db: { url: string; drop(): Promise<void> };
  beforeEach(async () => {
    db = await createEmptyTestDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  test('the test knows every model of the schema', () => {
    expect(schemaModels().sort()).toEqual([...MODEL_TABLES].sort());
  });

  test('applies the migrations to a fresh database, recording them as Prisma does; a second run is a no-op', async () => {
    const first = await migrate(db.url);
    const names = loadMigrations().map((m) => m.name);
    expect(first.applied).toEqual(names);

    const tables = await query<{ table_name: string }>(
      db.url,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    expect(tables.map((t) => t.table_name).sort()).toEqual([...MODEL_TABLES, '_prisma_migrations'].sort());

    const rows = await query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number; rolled_back_at: Date | null }>(
      db.url,
      'SELECT migration_name, checksum, finished_at, applied_steps_count, rolled_back_at FROM "_prisma_migrations" ORDER BY migration_name',
    );
    expect(rows.map((r) => r.migration_name)).toEqual(names);
    for (const r of rows) {
      const sql = readFileSync(path.join(DEFAULT_MIGRATIONS_DIR, r.migration_name, 'migration.sql'), 'utf8');
      expect(r.checksum).toBe(checksumOf(sql));
      expect(r.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(r.finished_at).toBeInstanceOf(Date);
      expect(r.rolled_back_at).toBeNull();
      expect(r.applied_steps_count).toBe(1);
    }

    const second = await migrate(db.url);
    expect(second.applied).toEqual([]);
    const count = await query<{ n: string }>(db.url, 'SELECT count(*) AS n FROM "_prisma_migrations"');
    expect(Number(count[0].n)).toBe(names.length);
  });

  test('indexes and foreign keys follow Prisma naming', async () => {
    await migrate(db.url);
    const idx = (await query<{ indexname: string }>(db.url, `SELECT indexname FROM pg_indexes WHERE schemaname = 'public'`)).map((r) => r.indexname);
    for (const name of [
      'Metric_jobId_key_step_key', 'Job_teamId_idempotencyKey_key', 'Job_teamId_status_createdAt_idx',
      'Checkpoint_jobId_step_key', 'AlertEvent_jobId_createdAt_idx', 'AlertEvent_teamId_createdAt_idx', 'ApiKey_prefix_key',
    ]) expect(idx).toContain(name);
    for (const t of MODEL_TABLES) expect(idx).toContain(`${t}_pkey`);
    const fks = (await query<{ conname: string }>(db.url, `SELECT conname FROM pg_constraint WHERE contype = 'f'`)).map((r) => r.conname);
    expect(fks).toContain('Metric_jobId_fkey');
    expect(fks.every((n) => /^[A-Za-z]+_[A-Za-z]+_fkey$/.test(n))).toBe(true);
  });

  test('two concurrent runs on separate connections both succeed and apply once', async () => {
    const [a, b] = await Promise.all([migrate(db.url), migrate(db.url)]);
    const names = loadMigrations().map((m) => m.name);
    expect([...a.applied, ...b.applied].sort()).toEqual(names.sort());
    const rows = await query(db.url, 'SELECT migration_name FROM "_prisma_migrations"');
    expect(rows).toHaveLength(names.length);
  });

  test('two concurrent `npm run db:migrate` processes both exit 0 and apply once', async () => {
    const env = { ...process.env, DATABASE_URL: db.url };
    const cli = path.join(ROOT, 'packages/db/src/migrate-cli.ts');
    const tsx = path.join(ROOT, 'node_modules/.bin/tsx');
    const [a, b] = await Promise.all([run(tsx, [cli], { env, cwd: ROOT }), run(tsx, [cli], { env, cwd: ROOT })]);
    const outputs = [a.stdout, b.stdout];
    expect(outputs.filter((o) => o.includes(`applied ${loadMigrations().length} migration`)).length).toBe(1);
    expect(outputs.filter((o) => o.includes('is up to date')).length).toBe(1);
    const rows = await query(db.url, 'SELECT migration_name FROM "_prisma_migrations"');
    expect(rows).toHaveLength(loadMigrations().length);
  });

  test('creates the database when it does not exist yet', async () => {
    const url = db.url.replace(/\/([^/?]+)$/, '/$1_new');
    try {
      expect((await migrate(url)).applied.length).toBeGreaterThan(0);
    } finally {
      await query(db.url, `DROP DATABASE IF EXISTS "${new URL(url).pathname.slice(1)}" WITH (FORCE)`);
    }
  });

  describe('with a copy of the migrations', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'rimwatch-migrations-'));
      cpSync(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    test('an edited, already-applied migration is a clear checksum error', async () => {
      await migrate(db.url, { migrationsDir: dir });
      const [first] = loadMigrations(dir);
      appendFileSync(path.join(dir, first.name, 'migration.sql'), '\n-- edited\n');
      const err = await migrate(db.url, { migrationsDir: dir }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MigrationChecksumError);
      expect((err as Error).message).toContain(first.name);
      expect((err as Error).message).toMatch(/must not be edited/);
    });

    test('line-ending changes (git autocrlf) do not count as edits, as in Prisma', async () => {
      await migrate(db.url, { migrationsDir: dir });
      const [first] = loadMigrations(dir);
      const file = path.join(dir, first.name, 'migration.sql');
      writeFileSync(file, readFileSync(file, 'utf8').replace(/\n/g, '\r\n'));
      expect((await migrate(db.url, { migrationsDir: dir })).applied).toEqual([]);
    });

    test('a failing migration is rolled back entirely and not recorded', async () => {
      await migrate(db.url, { migrationsDir: dir });
      const bad = path.join(dir, '29990101000000_broken');
      cpSync(path.join(dir, loadMigrations(dir)[0].name), bad, { recursive: true });
      writeFileSync(path.join(bad, 'migration.sql'), 'CREATE TABLE "Half" (id INT);\nSELECT no_such_function();\n');
      await expect(migrate(db.url, { migrationsDir: dir })).rejects.toThrow(/29990101000000_broken failed and was rolled back/);
      const half = await query(db.url, `SELECT 1 FROM information_schema.tables WHERE table_name = 'Half'`);
      expect(half).toHaveLength(0);
      const rows = await query(db.url, `SELECT 1 FROM "_prisma_migrations" WHERE migration_name = '29990101000000_broken'`);
      expect(rows).toHaveLength(0);
      // once fixed it applies
      writeFileSync(path.join(bad, 'migration.sql'), 'CREATE TABLE "Half" (id INT);\n');
      expect((await migrate(db.url, { migrationsDir: dir })).applied).toEqual(['29990101000000_broken']);
    });

    test('an unfinished row left by a failed `prisma migrate deploy` stops the run with a clear error', async () => {
      await migrate(db.url, { migrationsDir: dir });
      await query(db.url, `INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES ('x', 'y', '20000101000000_failed')`);
      await expect(migrate(db.url, { migrationsDir: dir })).rejects.toThrow(/20000101000000_failed failed earlier/);
    });
  });

  test('rejects a non-postgres URL naming DATABASE_URL', async () => {
    await expect(migrate('mysql://x')).rejects.toThrow(/DATABASE_URL must be a postgresql:\/\/ URL/);
  });
});
