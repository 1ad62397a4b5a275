// @rimwatch/db: the Prisma client, the migration runner, the embedded database and API-key helpers.
export * from './generated/client';
export { createPrisma, DEFAULT_DATABASE_URL, type CreatePrismaOptions } from './client';
export { migrate, migrateWith, checksumOf, PRISMA_ADVISORY_LOCK_KEY, loadMigrations, MigrationChecksumError, type Migration, type MigrateResult } from './migrate';
export { openEmbeddedDatabase, type EmbeddedDatabase } from './embedded';
export { generateApiKey, hashApiKey, verifyApiKey, parseApiKey, type GeneratedApiKey } from './api-keys';
