import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client';

/** Local default when DATABASE_URL is unset (the server and the CLI share it). */
export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/rimwatch';

/** Default pool bound; override with DATABASE_POOL_MAX. Postgres allows 100 connections by default and
 * several processes (API, worker, CLI) share it, so keep each small. */
const DEFAULT_POOL_MAX = 10;

export interface CreatePrismaOptions {
  /** maximum pooled connections (default DATABASE_POOL_MAX or 10) */
  poolMax?: number;
}

function poolMaxFromEnv(): number {
  const raw = process.env.DATABASE_POOL_MAX;
  if (raw === undefined || raw === '') return DEFAULT_POOL_MAX;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`DATABASE_POOL_MAX must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** A Prisma client talking to Postgres through node-postgres (no query-engine binary needed). */
export function createPrisma(databaseUrl: string, options: CreatePrismaOptions = {}): PrismaClient {
  if (typeof databaseUrl !== 'string' || !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error(`databaseUrl must be a postgresql:// URL, got ${JSON.stringify(databaseUrl)}`);
  }
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: options.poolMax ?? poolMaxFromEnv(),
    idleTimeoutMillis: 10_000,
    connectionTimeoutMillis: 10_000,
  });
  return new PrismaClient({ adapter });
}
