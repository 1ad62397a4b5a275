// In-process Postgres (PGlite, WebAssembly) for `rimwatch run` without a DATABASE_URL: same schema,
// same migrations, same Prisma client as the server deployment.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from './generated/client';
import { migrateWith, type MigrateOptions, type SqlExecutor } from './migrate';

export interface EmbeddedDatabase {
  prisma: PrismaClient;
  /** the underlying PGlite instance (for raw SQL) */
  pglite: PGlite;
  /** migrations applied while opening */
  applied: string[];
  close(): Promise<void>;
}

/**
 * Opens (creating when needed) a PGlite database in `dir` and applies pending migrations.
 * Pass `dir = 'memory://'` for a throw-away in-memory database.
 */
export async function openEmbeddedDatabase(
  dir = './.rimwatch/db',
  options: Pick<MigrateOptions, 'migrationsDir'> = {},
): Promise<EmbeddedDatabase> {
  const inMemory = dir.startsWith('memory://');
  const dataDir = inMemory ? dir : path.resolve(dir);
  if (!inMemory) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  try {
    const exec: SqlExecutor = {
      async query<T>(sql: string, params?: unknown[]) {
        const res = await pglite.query<T>(sql, params);
        return { rows: res.rows };
      },
      async exec(sql: string) {
        await pglite.exec(sql);
      },
    };
    // PGlite is single-connection and owns its directory, so no advisory lock is needed.
    const { applied } = await migrateWith(exec, { ...options, lock: false });
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
    return {
      prisma,
      pglite,
      applied,
      async close() {
        await prisma.$disconnect();
        await pglite.close();
      },
    };
  } catch (err) {
    await pglite.close().catch(() => undefined);
    throw err;
  }
}
