/**
 * Alert → deliveries: one WebhookDelivery row (pending) per enabled endpoint of the team and one
 * BullMQ job per row on queue `webhooks`. Idempotent: rows are unique per (endpoint, alert event) and
 * the BullMQ job id is the delivery id, so a retried checkpoint neither doubles rows nor sends twice.
 */
import type { Queue } from 'bullmq';
import type { PrismaClient } from '@rimwatch/db';
import type { WebhookJobData } from '@rimwatch/queue';

export interface DeliveryRetryOptions {
  /** attempts in all, the first included (default 8) */
  attempts?: number;
  /** first retry delay; doubles each time (default 2000 ms) */
  backoffMs?: number;
}

export function deliveryJobOptions(o: DeliveryRetryOptions = {}) {
  return { attempts: o.attempts ?? 8, backoff: { type: 'exponential' as const, delay: o.backoffMs ?? 2000 } };
}

/** Enqueue the delivery of one stored delivery row (no-op when its job already exists). */
export async function enqueueDelivery(queue: Queue<WebhookJobData>, deliveryId: string, o: DeliveryRetryOptions = {}): Promise<void> {
  await queue.add('deliver', { deliveryId }, { ...deliveryJobOptions(o), jobId: deliveryId });
}

/** Creates (or finds) the deliveries of one alert event and enqueues them. Returns their ids. */
export async function dispatchAlert(
  prisma: PrismaClient,
  queue: Queue<WebhookJobData>,
  alert: { id: string; teamId: string },
  o: DeliveryRetryOptions = {},
): Promise<string[]> {
  // endpoints registered after the alert happened do not get it (matters when a resumed job re-dispatches)
  const event = await prisma.alertEvent.findUnique({ where: { id: alert.id }, select: { createdAt: true } });
  if (!event) return [];
  const endpoints = await prisma.webhookEndpoint.findMany({ where: { teamId: alert.teamId, enabled: true, createdAt: { lte: event.createdAt } }, select: { id: true } });
  if (endpoints.length === 0) return [];
  await prisma.webhookDelivery.createMany({ data: endpoints.map((e) => ({ endpointId: e.id, alertEventId: alert.id })), skipDuplicates: true });
  const rows = await prisma.webhookDelivery.findMany({ where: { alertEventId: alert.id, endpointId: { in: endpoints.map((e) => e.id) } }, select: { id: true, status: true } });
  const pending = rows.filter((r) => r.status === 'pending');
  await Promise.all(pending.map((r) => enqueueDelivery(queue, r.id, o)));
  return rows.map((r) => r.id);
}

/**
 * Dispatch the job's alert events that have no deliveries yet: a worker that died between storing an
 * alert event and dispatching it would otherwise never send it (the resumed run finds the event stored).
 */
export async function dispatchUndelivered(prisma: PrismaClient, queue: Queue<WebhookJobData>, jobId: string, o: DeliveryRetryOptions = {}): Promise<number> {
  const events = await prisma.alertEvent.findMany({ where: { jobId, deliveries: { none: {} } }, select: { id: true, teamId: true } });
  let n = 0;
  for (const e of events) n += (await dispatchAlert(prisma, queue, e, o)).length;
  return n;
}
