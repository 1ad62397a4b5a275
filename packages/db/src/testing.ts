// Test helper: a fresh, migrated database per test file so jest workers can run in parallel.
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Client } from 'pg';
import { createPrisma } from './client';
import type { PrismaClient } from './generated/client';
import { migrate } from './migrate';

export const DEFAULT_TEST_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  /** connection URL of the new database */
  url: string;
  prisma: PrismaClient;
  /** disconnects and drops the database */
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(baseUrl: string, fn: (c: Client) => Promise<T>): Promise<T> {
  // connect to the maintenance database: the one in DATABASE_URL may not exist yet
  const client = new Client({ connectionString: withDatabase(baseUrl, 'postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

// Names are rimwatch_test_<host>_<pid>_<random>, so databases left by a test process that crashed
// before drop() can be recognised (same host, process gone) and removed by the next run.
export const TEST_DATABASE_HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 6);
const NAME_RE = new RegExp(`^rimwatch_test_${TEST_DATABASE_HOST_TAG}_(\\d+)_[0-9a-f]{8}$`);

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function dropLeftovers(c: Client): Promise<void> {
  const { rows } = await c.query<{ datname: string }>(
    `SELECT datname FROM pg_database d WHERE datname LIKE 'rimwatch\\_test\\_%'
       AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`,
  );
  for (const { datname } of rows) {
    const m = NAME_RE.exec(datname);
    if (!m || processAlive(Number(m[1]))) continue;
    await c.query(`DROP DATABASE IF EXISTS "${datname}"`).catch(() => undefined); // racing another cleaner is fine
  }
}

/** Creates an empty database (not migrated) and returns its URL and a drop function. */
export async function createEmptyTestDatabase(
  baseUrl = process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `rimwatch_test_${TEST_DATABASE_HOST_TAG}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin(baseUrl, async (c) => {
    await dropLeftovers(c);
    await c.query(`CREATE DATABASE "${name}"`);
  });
  return {
    url: withDatabase(baseUrl, name),
    drop: () => admin(baseUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/** Creates a uniquely named database on the server of DATABASE_URL, migrates it and connects. */
export async function createTestDatabase(
  baseUrl = process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL,
): Promise<TestDatabase> {
  const empty = await createEmptyTestDatabase(baseUrl);
  try {
    await migrate(empty.url);
  } catch (err) {
    await empty.drop();
    throw err;
  }
  const prisma = createPrisma(empty.url, { poolMax: 5 });
  return {
    url: empty.url,
    prisma,
    async drop() {
      await prisma.$disconnect();
      await empty.drop();
    },
  };
}
