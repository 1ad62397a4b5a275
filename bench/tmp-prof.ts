import { generateApiKey } from '@rimwatch/db';
import { createTestDatabase } from '@rimwatch/db/src/testing';
import { Pool } from 'pg';
async function time(label: string, n: number, fn: () => Promise<unknown>) {
  for (let i = 0; i < 20; i++) await fn();
  const t = process.hrtime.bigint(); const c = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const ms = Number(process.hrtime.bigint() - t) / 1e6; const cu = process.cpuUsage(c);
  console.log(label, (ms / n).toFixed(3), 'ms wall/op', ((cu.user + cu.system) / 1000 / n).toFixed(3), 'ms cpu/op');
}
(async () => {
  const db = await createTestDatabase();
  const team = await db.prisma.team.create({ data: { name: 'b' } });
  const { prefix, hash } = generateApiKey();
  await db.prisma.apiKey.create({ data: { teamId: team.id, name: 'b', prefix, hash } });
  await time('prisma findUnique', 300, () => db.prisma.apiKey.findUnique({ where: { prefix }, select: { id: true, teamId: true, hash: true, revokedAt: true } }));
  await time('prisma queryRaw', 300, () => db.prisma.$queryRaw`SELECT id, "teamId", hash FROM "ApiKey" WHERE prefix = ${prefix}`);
  const pool = new Pool({ connectionString: db.url, max: 5 });
  await time('pg pool query', 300, () => pool.query('SELECT id, "teamId", hash FROM "ApiKey" WHERE prefix = $1', [prefix]));
  await pool.end();
  await db.drop();
})();
