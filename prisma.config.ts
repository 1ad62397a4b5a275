// Prisma CLI configuration (Prisma 7 reads the datasource URL from here, not from schema.prisma).
// `npm run db:generate` needs no database; `prisma migrate deploy` (where the engine can be
// downloaded) uses DATABASE_URL. Day-to-day migrations run through packages/db (npm run db:migrate).
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test' },
});
