/**
 * Postgres: the shared Prisma client (packages/db) for ordinary queries, plus a small node-postgres
 * pool for the two hot-path reads (API-key lookup, metrics version for the ETag). Measured on this
 * machine, a Prisma findUnique costs ~4x the CPU of the same query through pg; at thousands of
 * dashboard polls per second that difference is the budget.
 */
import fp from 'fastify-plugin';
import { Pool } from 'pg';
import { createPrisma, type PrismaClient } from '@rimwatch/db';

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient;
    pg: Pool;
  }
}

export interface DbPluginOptions {
  databaseUrl: string;
  /** an existing client (tests, embedded runs); not disconnected on close */
  prisma?: PrismaClient;
}

export default fp<DbPluginOptions>(
  async (app, opts) => {
    const owned = !opts.prisma;
    const prisma = opts.prisma ?? createPrisma(opts.databaseUrl);
    const pg = new Pool({ connectionString: opts.databaseUrl, max: Number(process.env.DATABASE_HOT_POOL_MAX ?? 5), idleTimeoutMillis: 10_000, connectionTimeoutMillis: 5_000 });
    // idle-client errors (server restart) must not crash the process; the next query reconnects
    pg.on('error', (err) => app.log.warn({ err: err.message }, 'postgres pool error'));
    app.decorate('prisma', prisma);
    app.decorate('pg', pg);
    app.addHook('onClose', async () => {
      await pg.end();
      if (owned) await prisma.$disconnect();
    });
  },
  { name: 'db' },
);
