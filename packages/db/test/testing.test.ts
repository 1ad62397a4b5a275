import { Client } from 'pg';
import { createEmptyTestDatabase, createTestDatabase, DEFAULT_TEST_DATABASE_URL, TEST_DATABASE_HOST_TAG } from '../src/testing';

const base = process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL;

async function databases(): Promise<string[]> {
  const u = new URL(base);
  u.pathname = '/postgres';
  const c = new Client({ connectionString: u.toString() });
  await c.connect();
  try {
    return (await c.query<{ datname: string }>('SELECT datname FROM pg_database')).rows.map((r) => r.datname);
  } finally {
    await c.end();
  }
}

test('createTestDatabase gives each caller its own migrated database and drop() removes it', async () => {
  const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  try {
    expect(a.url).not.toBe(b.url);
    await a.prisma.team.create({ data: { name: 'only in a' } });
    expect(await b.prisma.team.count()).toBe(0);
    expect(await a.prisma.team.count()).toBe(1);
  } finally {
    await a.drop();
    await b.drop();
  }
  const names = await databases();
  expect(names).not.toContain(new URL(a.url).pathname.slice(1));
  expect(names).not.toContain(new URL(b.url).pathname.slice(1));
});

test('databases left by a crashed test process on this host are dropped by the next one', async () => {
  const deadPid = 4_194_303; // the highest pid Linux can hand out (2^22 - 1): practically never alive
  const stale = `rimwatch_test_${TEST_DATABASE_HOST_TAG}_${deadPid}_deadbeef`;
  const alive = `rimwatch_test_${TEST_DATABASE_HOST_TAG}_${process.pid}_0badf00d`;
  const u = new URL(base);
  u.pathname = '/postgres';
  const c = new Client({ connectionString: u.toString() });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE "${stale}"`);
    await c.query(`CREATE DATABASE "${alive}"`);
    const fresh = await createEmptyTestDatabase();
    await fresh.drop();
    const names = await databases();
    expect(names).not.toContain(stale);
    expect(names).toContain(alive); // its process (this one) still runs
  } finally {
    await c.query(`DROP DATABASE IF EXISTS "${stale}"`);
    await c.query(`DROP DATABASE IF EXISTS "${alive}"`);
    await c.end();
  }
});
