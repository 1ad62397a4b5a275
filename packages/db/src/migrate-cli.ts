// `npm run db:migrate`: applies pending migrations to DATABASE_URL.
import { DEFAULT_DATABASE_URL } from './client';
import { migrate } from './migrate';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const { applied } = await migrate(url);
  const where = url.replace(/\/\/[^@/]*@/, '//***@');
  console.log(applied.length ? `applied ${applied.length} migration(s) to ${where}: ${applied.join(', ')}` : `${where} is up to date`);
}

main().catch((err: unknown) => {
  console.error(`db:migrate failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
