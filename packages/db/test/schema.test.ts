// Exercises every model and every column through the generated client against the migrated
// database, so a mismatch between prisma/schema.prisma and the hand-kept migration SQL fails here.
import { createTestDatabase, type TestDatabase } from '../src/testing';
import { AlertComparator, AlertMode, AlertState, JobStatus, NeuronSetKind, Prisma, WebhookDeliveryStatus } from '../src';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

async function seedJob(name = 'team') {
  const team = await db.prisma.team.create({ data: { name } });
  const job = await db.prisma.job.create({
    data: { teamId: team.id, name: 'job', spec: { model: 'builtin:rim-organism-v1', training: { learningRate: 1e-5 } } },
  });
  return { team, job };
}

test('Team and ApiKey round-trip', async () => {
  const now = new Date('2026-01-02T03:04:05.678Z');
  const team = await db.prisma.team.create({
    data: { name: 'acme', apiKeys: { create: { name: 'ci', prefix: 'AbCdEf12', hash: 'hmac-sha256$00', lastUsedAt: now, revokedAt: now } } },
    include: { apiKeys: true },
  });
  expect(team.id).toMatch(/^[0-9a-f-]{36}$/);
  expect(team.createdAt).toBeInstanceOf(Date);
  expect(team.updatedAt).toBeInstanceOf(Date);
  const key = await db.prisma.apiKey.findUniqueOrThrow({ where: { prefix: 'AbCdEf12' }, include: { team: true } });
  expect(key).toMatchObject({ name: 'ci', hash: 'hmac-sha256$00', lastUsedAt: now, revokedAt: now, teamId: team.id });
  expect(key.team.name).toBe('acme');
  await expect(
    db.prisma.apiKey.create({ data: { teamId: team.id, name: 'dup', prefix: 'AbCdEf12', hash: 'x' } }),
  ).rejects.toMatchObject({ code: 'P2002' });
});

test('Job round-trip, defaults, status enum, idempotency key unique per team', async () => {
  const { team, job } = await seedJob();
  expect(job.status).toBe(JobStatus.queued);
  expect(job.progress).toBeNull();
  const started = new Date('2026-01-01T00:00:00.001Z');
  const updated = await db.prisma.job.update({
    where: { id: job.id },
    data: { status: JobStatus.diverged, progress: { step: 3, fraction: 0.5 }, error: 'loss is NaN', startedAt: started, finishedAt: started, idempotencyKey: 'k1' },
  });
  expect(updated).toMatchObject({ status: 'diverged', progress: { step: 3, fraction: 0.5 }, error: 'loss is NaN', startedAt: started, finishedAt: started });
  expect(updated.spec).toEqual({ model: 'builtin:rim-organism-v1', training: { learningRate: 1e-5 } });
  expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(job.updatedAt.getTime());

  const found = await db.prisma.job.findUnique({ where: { teamId_idempotencyKey: { teamId: team.id, idempotencyKey: 'k1' } } });
  expect(found?.id).toBe(job.id);
  await expect(db.prisma.job.create({ data: { teamId: team.id, name: 'j2', spec: {}, idempotencyKey: 'k1' } })).rejects.toMatchObject({ code: 'P2002' });
  // same key in another team, and several jobs without a key, are fine
  const other = await db.prisma.team.create({ data: { name: 'other' } });
  await db.prisma.job.create({ data: { teamId: other.id, name: 'j', spec: {}, idempotencyKey: 'k1' } });
  await db.prisma.job.createMany({ data: [{ teamId: team.id, name: 'a', spec: {} }, { teamId: team.id, name: 'b', spec: {} }] });
  const byStatus = await db.prisma.job.findMany({ where: { teamId: team.id, status: 'queued' }, orderBy: { createdAt: 'desc' } });
  expect(byStatus.map((j) => j.name).sort()).toEqual(['a', 'b']);
});

test('Checkpoint round-trip, unique per job and step', async () => {
  const { job } = await seedJob();
  const cp = await db.prisma.checkpoint.create({ data: { jobId: job.id, step: 100, epoch: 0.25, artifactLocation: 'file:///ckpt/100' } });
  expect(cp).toMatchObject({ step: 100, epoch: 0.25, artifactLocation: 'file:///ckpt/100' });
  await expect(db.prisma.checkpoint.create({ data: { jobId: job.id, step: 100 } })).rejects.toMatchObject({ code: 'P2002' });
  const bare = await db.prisma.checkpoint.create({ data: { jobId: job.id, step: 200 } });
  expect(bare.epoch).toBeNull();
  expect(await db.prisma.checkpoint.findUnique({ where: { jobId_step: { jobId: job.id, step: 200 } } })).not.toBeNull();
});

test('Metric upserts on (job, key, step) so a re-run writes the same row', async () => {
  const { job } = await seedJob();
  const where = { jobId_key_step: { jobId: job.id, key: 'ras.safety', step: 10 } };
  const a = await db.prisma.metric.upsert({ where, create: { jobId: job.id, key: 'ras.safety', step: 10, value: 0.5 }, update: { value: 0.5 } });
  const b = await db.prisma.metric.upsert({
    where,
    create: { jobId: job.id, key: 'ras.safety', step: 10, value: 0.75 },
    update: { value: 0.75, judgeId: 'keyword-refusal', extra: { n: 300 } },
  });
  expect(b.id).toBe(a.id);
  expect(b).toMatchObject({ value: 0.75, judgeId: 'keyword-refusal', extra: { n: 300 } });
  expect(typeof b.id).toBe('number');
  await db.prisma.metric.createMany({
    data: [20, 30].map((step) => ({ jobId: job.id, key: 'ras.safety', step, value: step / 100 })),
  });
  const history = await db.prisma.metric.findMany({ where: { jobId: job.id, key: { in: ['ras.safety'] }, step: { gt: 10 } }, orderBy: { step: 'asc' } });
  expect(history.map((m) => [m.step, m.value])).toEqual([[20, 0.2], [30, 0.3]]);
  expect(await db.prisma.metric.count({ where: { jobId: job.id } })).toBe(3);
});

test('NeuronSet stores indices, layout and params; one per kind per job', async () => {
  const { job } = await seedJob();
  const ns = await db.prisma.neuronSet.create({
    data: { jobId: job.id, kind: NeuronSetKind.safety, indices: [0, 5, 1023, 4095], layout: { neuronsPerLayer: [1024, 1024, 1024, 1024] }, params: { topM: 200, pooling: 'max' } },
  });
  expect(ns.indices).toEqual([0, 5, 1023, 4095]);
  expect(ns.layout).toEqual({ neuronsPerLayer: [1024, 1024, 1024, 1024] });
  await db.prisma.neuronSet.create({ data: { jobId: job.id, kind: 'control', indices: [], layout: {}, params: { seed: 1 } } });
  await expect(
    db.prisma.neuronSet.create({ data: { jobId: job.id, kind: 'safety', indices: [1], layout: {}, params: {} } }),
  ).rejects.toMatchObject({ code: 'P2002' });
  const sets = await db.prisma.neuronSet.findMany({ where: { jobId: job.id }, orderBy: { kind: 'asc' } });
  expect(sets.map((s) => s.kind)).toEqual(['safety', 'control']); // enum order
});

test('AlertRule, AlertEvent, WebhookEndpoint and WebhookDelivery round-trip', async () => {
  const { team, job } = await seedJob();
  const teamRule = await db.prisma.alertRule.create({ data: { teamId: team.id, metricKey: 'misalignment.rate', comparator: AlertComparator.gt, threshold: 0.2 } });
  expect(teamRule).toMatchObject({ jobId: null, name: null, source: 'user', mode: 'absolute', window: 1, cooldownSec: 0, cooldownSteps: 0, enabled: true });
  const rule = await db.prisma.alertRule.create({
    data: {
      teamId: team.id, jobId: job.id, name: 'RAS jump', source: 'spec', metricKey: 'ras.safety', comparator: 'gte', threshold: 0.1,
      mode: AlertMode.deltaFromBase, window: 3, cooldownSec: 600, cooldownSteps: 50, enabled: false,
    },
  });
  expect(rule).toMatchObject({ name: 'RAS jump', source: 'spec', mode: 'deltaFromBase', window: 3, cooldownSec: 600, cooldownSteps: 50, enabled: false, comparator: 'gte' });

  const event = await db.prisma.alertEvent.create({ data: { teamId: team.id, ruleId: rule.id, jobId: job.id, step: 40, value: 0.31, state: AlertState.firing } });
  const endpoint = await db.prisma.webhookEndpoint.create({ data: { teamId: team.id, url: 'https://hooks.example/rim', secret: 's3cret' } });
  expect(endpoint.enabled).toBe(true);
  const delivery = await db.prisma.webhookDelivery.create({ data: { endpointId: endpoint.id, alertEventId: event.id } });
  expect(delivery).toMatchObject({ status: 'pending', attempts: 0, responseCode: null, error: null, lastAttemptAt: null, deliveredAt: null });
  const t = new Date('2026-02-03T04:05:06.007Z');
  const done = await db.prisma.webhookDelivery.update({
    where: { id: delivery.id },
    data: { status: WebhookDeliveryStatus.succeeded, attempts: { increment: 2 }, responseCode: 204, error: 'first try timed out', lastAttemptAt: t, deliveredAt: t },
  });
  expect(done).toMatchObject({ status: 'succeeded', attempts: 2, responseCode: 204, error: 'first try timed out', lastAttemptAt: t, deliveredAt: t });
  await expect(db.prisma.webhookDelivery.create({ data: { endpointId: endpoint.id, alertEventId: event.id } })).rejects.toMatchObject({ code: 'P2002' });

  const byTeam = await db.prisma.alertEvent.findMany({ where: { teamId: team.id }, include: { rule: true, deliveries: { include: { endpoint: true } } } });
  expect(byTeam).toHaveLength(1);
  expect(byTeam[0]).toMatchObject({ step: 40, value: 0.31, state: 'firing' });
  expect(byTeam[0].rule.metricKey).toBe('ras.safety');
  expect(byTeam[0].deliveries[0].endpoint.secret).toBe('s3cret');
});

test('Dataset round-trip', async () => {
  const team = await db.prisma.team.create({ data: { name: 'data' } });
  const ds = await db.prisma.dataset.create({
    data: { teamId: team.id, name: 'gsm8k-cot', kind: 'train', rowCount: 7473, checksum: 'a'.repeat(64), storageLocation: 'file:///data/x.jsonl', sizeBytes: 123456 },
  });
  expect(await db.prisma.dataset.findUniqueOrThrow({ where: { id: ds.id } })).toMatchObject({ kind: 'train', rowCount: 7473, sizeBytes: 123456, checksum: 'a'.repeat(64) });
});

test('deleting a team cascades to everything it owns', async () => {
  const { team, job } = await seedJob('doomed');
  await db.prisma.metric.create({ data: { jobId: job.id, key: 'k', step: 1, value: 1 } });
  await db.prisma.checkpoint.create({ data: { jobId: job.id, step: 1 } });
  await db.prisma.team.delete({ where: { id: team.id } });
  expect(await db.prisma.job.count({ where: { id: job.id } })).toBe(0);
  expect(await db.prisma.metric.count({ where: { jobId: job.id } })).toBe(0);
});

test('a foreign key to a missing row is rejected', async () => {
  await expect(
    db.prisma.job.create({ data: { teamId: '00000000-0000-4000-8000-000000000000', name: 'x', spec: {} } }),
  ).rejects.toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
});
