import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { generateApiKey, type PrismaClient } from '@rimwatch/db';
import { createTestDatabase, type TestDatabase } from '@rimwatch/db/src/testing';
import { buildApp, type BuildAppOptions } from '../src/app';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface Team {
  id: string;
  key: string;
  keyId: string;
  auth: { authorization: string };
}

export async function createTeam(prisma: PrismaClient, name = 'team'): Promise<Team> {
  const team = await prisma.team.create({ data: { name } });
  const { key, prefix, hash } = generateApiKey();
  const row = await prisma.apiKey.create({ data: { teamId: team.id, name: 'first', prefix, hash } });
  return { id: team.id, key, keyId: row.id, auth: { authorization: `Bearer ${key}` } };
}

export interface Harness {
  app: FastifyInstance;
  db: TestDatabase;
  queuePrefix: string;
  dataDir: string;
  a: Team;
  b: Team;
  close(): Promise<void>;
}

/** A fresh migrated database, a unique BullMQ prefix, two teams, and the app on them. */
export async function setup(extra: Partial<BuildAppOptions> = {}): Promise<Harness> {
  const db = await createTestDatabase();
  const queuePrefix = `rwtest-${randomUUID()}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'rimwatch-api-'));
  const app = await buildApp({ databaseUrl: db.url, redisUrl: REDIS_URL, prisma: db.prisma, queuePrefix, dataDir, rateLimit: false, ...extra });
  await app.ready();
  const a = await createTeam(db.prisma, 'team-a');
  const b = await createTeam(db.prisma, 'team-b');
  return {
    app,
    db,
    queuePrefix,
    dataDir,
    a,
    b,
    async close() {
      await app.finetuneQueue.obliterate({ force: true }).catch(() => {});
      await app.close();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export const validSpec = { name: 'x', model: 'builtin:rim-organism-v1', datasets: { train: 'builtin:reasoning-patterns/target' } };
