// Applies the SQL migrations under prisma/migrations.
//
// Why our own runner rather than `prisma migrate deploy`: Prisma 7's migrate commands need the native
// schema-engine binary, which the CLI downloads from binaries.prisma.sh on first use; machines that
// reach only the npm registry cannot get it, and Prisma 7 dropped the driver-adapter (wasm) migrate
// path that 6.x had behind `experimental.adapter`. The runner stays interchangeable with Prisma: it
// writes the same `_prisma_migrations` rows (sha256-hex checksum of migration.sql) and takes the same
// advisory lock key, so `prisma migrate deploy` / `migrate status` see these migrations as applied
// and never run concurrently with us.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

/** The lock key Prisma's schema engine uses for `pg_advisory_lock`. */
export const PRISMA_ADVISORY_LOCK_KEY = 72707369;

export const DEFAULT_MIGRATIONS_DIR = path.resolve(__dirname, '../../../prisma/migrations');

export interface Migration {
  name: string;
  sql: string;
  /** sha256 hex of migration.sql, as Prisma computes it */
  checksum: string;
}

export interface MigrateResult {
  /** names of the migrations applied by this call, in order (empty when already up to date) */
  applied: string[];
}

export class MigrationChecksumError extends Error {
  constructor(
    readonly migration: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `migration ${migration} was already applied with checksum ${actual}, but prisma/migrations/${migration}/migration.sql now hashes to ${expected}; applied migrations must not be edited — add a new migration instead`,
    );
    this.name = 'MigrationChecksumError';
  }
}

/** Minimal SQL surface shared by node-postgres and PGlite, so both databases use one runner. */
export interface SqlExecutor {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  /** runs a script of several statements */
  exec(sql: string): Promise<void>;
}

export interface MigrateOptions {
  migrationsDir?: string;
  /** take Prisma's session advisory lock (needed for servers, pointless for an in-process PGlite) */
  lock?: boolean;
}

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql, 'utf8').digest('hex');
}

/** Same tolerance as Prisma's schema engine: the script with LF or CRLF line endings (git may convert). */
function checksumMatches(sql: string, checksum: string): boolean {
  return [sql, sql.replace(/\r\n/g, '\n'), sql.replace(/\r?\n/g, '\r\n')].some((s) => checksumOf(s) === checksum);
}

/** Migration folders in apply order (Prisma orders them by folder name, which starts with a timestamp). */
export function loadMigrations(migrationsDir = DEFAULT_MIGRATIONS_DIR): Migration[] {
  if (!existsSync(migrationsDir)) throw new Error(`migrations directory not found: ${migrationsDir}`);
  const lock = path.join(migrationsDir, 'migration_lock.toml');
  if (existsSync(lock) && !/provider\s*=\s*"postgresql"/.test(readFileSync(lock, 'utf8'))) {
    throw new Error(`${lock} is not for provider "postgresql"`);
  }
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(migrationsDir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(migrationsDir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: checksumOf(sql) };
    });
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** Applies pending migrations through any executor. Each migration runs in its own transaction. */
export async function migrateWith(db: SqlExecutor, options: MigrateOptions = {}): Promise<MigrateResult> {
  const migrations = loadMigrations(options.migrationsDir);
  const lock = options.lock ?? true;
  if (lock) await db.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK_KEY]);
  try {
    await db.exec(CREATE_MIGRATIONS_TABLE);
    const { rows } = await db.query<AppliedRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
    );
    const done = new Map<string, AppliedRow>();
    for (const row of rows) {
      if (row.rolled_back_at !== null) continue;
      if (row.finished_at === null) {
        // Left behind by a failed `prisma migrate deploy` (our runner rolls back instead); Prisma
        // refuses to continue in this state too (P3009).
        throw new Error(
          `migration ${row.migration_name} failed earlier and is marked unfinished in _prisma_migrations; resolve it (fix the database, then \`prisma migrate resolve\` or delete that row) before migrating`,
        );
      }
      done.set(row.migration_name, row);
    }
    for (const m of migrations) {
      const row = done.get(m.name);
      if (row && !checksumMatches(m.sql, row.checksum)) {
        throw new MigrationChecksumError(m.name, m.checksum, row.checksum);
      }
    }

    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.name)) continue;
      await db.exec('BEGIN');
      try {
        const id = randomUUID();
        await db.query(
          'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
          [id, m.checksum, m.name],
        );
        await db.exec(m.sql);
        await db.query(
          'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1',
          [id],
        );
        await db.exec('COMMIT');
      } catch (err) {
        await db.exec('ROLLBACK').catch(() => undefined);
        const msg = err instanceof Error ? err.message : String(err);
        throw new Error(`migration ${m.name} failed and was rolled back: ${msg}`, { cause: err });
      }
      applied.push(m.name);
    }
    return { applied };
  } finally {
    if (lock) await db.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK_KEY]).catch(() => undefined);
  }
}

function pgExecutor(client: Client): SqlExecutor {
  return {
    async query<T>(sql: string, params?: unknown[]) {
      const res = await client.query(sql, params);
      return { rows: res.rows as T[] };
    },
    async exec(sql: string) {
      // no parameters => simple-query protocol, which accepts many statements at once
      await client.query(sql);
    },
  };
}

/** Creates the database named in the URL when it does not exist yet (as `prisma migrate deploy` does). */
async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) return;
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (err) {
    // 42P04: created meanwhile by a concurrent migrate
    if ((err as { code?: string }).code !== '42P04') throw err;
  } finally {
    await admin.end();
  }
}

/** Applies pending migrations to the Postgres database at `databaseUrl`; safe to run concurrently. */
export async function migrate(databaseUrl: string, options: Omit<MigrateOptions, 'lock'> = {}): Promise<MigrateResult> {
  if (typeof databaseUrl !== 'string' || !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error(`DATABASE_URL must be a postgresql:// URL, got ${JSON.stringify(databaseUrl)}`);
  }
  let client = new Client({ connectionString: databaseUrl });
  try {
    await client.connect();
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw err; // 3D000: database does not exist
    await ensureDatabase(databaseUrl);
    client = new Client({ connectionString: databaseUrl });
    await client.connect();
  }
  try {
    return await migrateWith(pgExecutor(client), { ...options, lock: true });
  } finally {
    await client.end();
  }
}
