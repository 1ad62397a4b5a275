import { createPrisma } from '@rimwatch/db';
import { createTestDatabase, type TestDatabase } from '@rimwatch/db/src/testing';
import { isTransientDbError, withRetries, withRetry } from '../src/retry';

describe('isTransientDbError (real Prisma errors)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('is true when the server is unreachable', async () => {
    const p = createPrisma('postgresql://postgres@127.0.0.1:1/nowhere');
    const err = await p.job.findMany().catch((e: unknown) => e);
    await p.$disconnect();
    expect(isTransientDbError(err)).toBe(true);
  });

  it('is true when the server terminates the connection, and a retry then succeeds', async () => {
    const victim = createPrisma(db.url, { poolMax: 1 });
    const [{ pid }] = await victim.$queryRaw<{ pid: number }[]>`select pg_backend_pid() as pid`;
    // terminate the backend while it runs a query (deterministic; killing an idle connection races
    // with the pool noticing and quietly reconnecting)
    const running = victim.$queryRaw`select pg_sleep(10)`.catch((e: unknown) => e);
    for (let i = 0; i < 500; i++) {
      const [{ n }] = await db.prisma.$queryRaw<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where pid = ${pid}::int and query like '%pg_sleep%' and state = 'active'`;
      if (n === 1) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await db.prisma.$queryRaw`select pg_terminate_backend(${pid}::int)`;
    const err = await running;
    expect(isTransientDbError(err)).toBe(true);
    let calls = 0;
    const n = await withRetry(async () => {
      calls++;
      return victim.team.count();
    }, { baseDelayMs: 10 });
    expect(n).toBe(0);
    expect(calls).toBeGreaterThanOrEqual(1);
    await victim.$disconnect();
  });

  it('is false for a constraint violation', async () => {
    const team = await db.prisma.team.create({ data: { name: 'x' } });
    const err = await db.prisma.team.create({ data: { id: team.id, name: 'y' } }).catch((e: unknown) => e);
    expect(isTransientDbError(err)).toBe(false);
    expect(isTransientDbError(new Error('boom'))).toBe(false);
    expect(isTransientDbError(undefined)).toBe(false);
  });
});

describe('withRetry / withRetries', () => {
  const transient = Object.assign(new Error('gone'), { code: 'ECONNREFUSED' });

  it('retries transient errors with backoff and gives up after the attempts', async () => {
    let n = 0;
    const delays: number[] = [];
    await expect(withRetry(async () => { n++; throw transient; }, { attempts: 3, baseDelayMs: 5, onRetry: (_e, _a, d) => delays.push(d) })).rejects.toBe(transient);
    expect(n).toBe(3);
    expect(delays).toHaveLength(2);
    expect(delays[1]).toBeGreaterThanOrEqual(5); // second wait is from a doubled base
  });

  it('does not retry other errors', async () => {
    let n = 0;
    const bad = new Error('bad input');
    await expect(withRetry(async () => { n++; throw bad; }, { baseDelayMs: 1 })).rejects.toBe(bad);
    expect(n).toBe(1);
  });

  it('wraps every method of an object', async () => {
    let n = 0;
    const store = {
      value: 7,
      async write(x: number) {
        if (++n < 3) throw transient;
        return x * this.value;
      },
    };
    const wrapped = withRetries(store, { baseDelayMs: 1 });
    await expect(wrapped.write(2)).resolves.toBe(14);
    expect(n).toBe(3);
    expect(wrapped.value).toBe(7);
  });
});
