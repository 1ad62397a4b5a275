/** `npm run api`: the REST API on HOST:PORT (env), against DATABASE_URL and REDIS_URL. */
import { DEFAULT_DATABASE_URL } from '@rimwatch/db';
import { buildApp } from './app';

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be an integer 0-65535, got ${JSON.stringify(process.env.PORT)}`);
  const host = process.env.HOST ?? '127.0.0.1';
  const app = await buildApp({
    // the same default as `npm run db:migrate` and the CLI, so a fresh checkout agrees with itself
    databaseUrl: process.env.DATABASE_URL || DEFAULT_DATABASE_URL,
    redisUrl: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
    // must match the worker's QUEUE_PREFIX (BullMQ key prefix)
    queuePrefix: process.env.QUEUE_PREFIX || undefined,
    logger: { level: process.env.LOG_LEVEL ?? 'info' },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      app.log.info({ signal }, 'shutting down');
      app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
  await app.listen({ host, port });
}

main().catch((err) => {
  console.error(`rimwatch api: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
