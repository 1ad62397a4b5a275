/**
 * Webhook endpoints of the caller's team: create (the signing secret is returned only then), list,
 * delete, and each endpoint's delivery log. URLs pointing at loopback/private/link-local addresses are
 * refused (SSRF) unless RIMWATCH_ALLOW_PRIVATE_WEBHOOKS=1; deliveries re-check resolved addresses.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ErrorBodySchema, IdParamsSchema, PageQuerySchema } from '@rimwatch/contracts';
import type { Prisma, WebhookDelivery, WebhookEndpoint } from '@rimwatch/db';
import { allowPrivateWebhooks, checkWebhookUrl, generateWebhookSecret } from '@rimwatch/webhooks';
import { badRequest, notFound } from '../errors';
import { decodeCursor, encodeCursor, isTimeCursor, isUuid, iso } from '../util';

const Uuid = Type.String({ format: 'uuid' });
const Timestamp = Type.String({ format: 'date-time' });
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

export const WebhookEndpointSchema = Type.Object(
  { id: Uuid, url: Type.String(), enabled: Type.Boolean(), createdAt: Timestamp, updatedAt: Timestamp },
  { title: 'WebhookEndpoint' },
);
export const CreatedWebhookEndpointSchema = Type.Object(
  { ...WebhookEndpointSchema.properties, secret: Type.String({ description: 'HMAC-SHA256 signing secret; returned only here' }) },
  { title: 'CreatedWebhookEndpoint' },
);
export const CreateWebhookBodySchema = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048, description: 'http(s) URL receiving POSTed alert events' }),
    secret: Type.Optional(Type.String({ minLength: 16, maxLength: 256, description: 'signing secret (default: a random one)' })),
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);
type CreateWebhookBody = Static<typeof CreateWebhookBodySchema>;
export const WebhookDeliverySchema = Type.Object(
  {
    id: Uuid,
    endpointId: Uuid,
    alertEventId: Uuid,
    status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
    attempts: Type.Integer(),
    responseCode: Type.Union([Type.Integer(), Type.Null()]),
    error: Type.Union([Type.String(), Type.Null()]),
    createdAt: Timestamp,
    lastAttemptAt: NullableTimestamp,
    deliveredAt: NullableTimestamp,
  },
  { title: 'WebhookDelivery' },
);

function toEndpointDto(w: WebhookEndpoint) {
  return { id: w.id, url: w.url, enabled: w.enabled, createdAt: w.createdAt.toISOString(), updatedAt: w.updatedAt.toISOString() };
}

function toDeliveryDto(d: WebhookDelivery) {
  return {
    id: d.id,
    endpointId: d.endpointId,
    alertEventId: d.alertEventId,
    status: d.status,
    attempts: d.attempts,
    responseCode: d.responseCode,
    error: d.error,
    createdAt: d.createdAt.toISOString(),
    lastAttemptAt: iso(d.lastAttemptAt),
    deliveredAt: iso(d.deliveredAt),
  };
}

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 404: ErrorBodySchema, 429: ErrorBodySchema };

const webhooksRoutes: FastifyPluginAsync = async (app) => {
  const { prisma } = app;

  const findEndpoint = async (teamId: string, id: string) => {
    if (!isUuid(id)) throw notFound('webhook');
    const w = await prisma.webhookEndpoint.findFirst({ where: { id, teamId } });
    if (!w) throw notFound('webhook');
    return w;
  };

  app.post<{ Body: CreateWebhookBody }>(
    '/webhooks',
    {
      schema: {
        summary: 'Register a webhook endpoint for alert events (the secret is returned only here)',
        description: 'Each alert event is POSTed as JSON with `X-Rimwatch-Signature: sha256=<hex HMAC-SHA256 of the body>` and `X-Rimwatch-Delivery: <id>`; the body has a Slack-compatible `text` field.',
        tags: ['webhooks'],
        body: CreateWebhookBodySchema,
        response: { 201: CreatedWebhookEndpointSchema, ...errors },
      },
    },
    async (req, reply) => {
      const check = checkWebhookUrl(req.body.url, { allowPrivate: allowPrivateWebhooks() });
      if (!check.ok) throw badRequest(`body.url ${check.message}`, 'body.url');
      const secret = req.body.secret ?? generateWebhookSecret();
      const row = await prisma.webhookEndpoint.create({ data: { teamId: req.auth.teamId, url: check.url.toString(), secret, enabled: req.body.enabled ?? true } });
      reply.code(201).header('location', `/v1/webhooks/${row.id}`);
      return { ...toEndpointDto(row), secret };
    },
  );

  app.get('/webhooks', { schema: { summary: "List the team's webhook endpoints", tags: ['webhooks'], response: { 200: Type.Object({ items: Type.Array(WebhookEndpointSchema) }), ...errors } } }, async (req) => {
    const rows = await prisma.webhookEndpoint.findMany({ where: { teamId: req.auth.teamId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    return { items: rows.map(toEndpointDto) };
  });

  app.delete<{ Params: { id: string } }>(
    '/webhooks/:id',
    { schema: { summary: 'Delete a webhook endpoint (and its delivery log)', tags: ['webhooks'], params: IdParamsSchema, response: { 204: Type.Null(), ...errors } } },
    async (req, reply) => {
      const w = await findEndpoint(req.auth.teamId, req.params.id);
      await prisma.webhookEndpoint.delete({ where: { id: w.id } });
      reply.code(204).send();
    },
  );

  app.get<{ Params: { id: string }; Querystring: Static<typeof PageQuerySchema> }>(
    '/webhooks/:id/deliveries',
    {
      schema: {
        summary: "An endpoint's delivery log, newest first",
        tags: ['webhooks'],
        params: IdParamsSchema,
        querystring: PageQuerySchema,
        response: { 200: Type.Object({ items: Type.Array(WebhookDeliverySchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errors },
      },
    },
    async (req) => {
      const w = await findEndpoint(req.auth.teamId, req.params.id);
      const { cursor, limit = 50 } = req.query;
      const where: Prisma.WebhookDeliveryWhereInput = { endpointId: w.id };
      if (cursor) {
        const [at, id] = decodeCursor(cursor, 'query.cursor', isTimeCursor);
        const createdAt = new Date(at);
        where.OR = [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: id } }];
      }
      const rows = await prisma.webhookDelivery.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: limit + 1 });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return { items: page.map(toDeliveryDto), nextCursor: rows.length > limit && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : null };
    },
  );
};

export default webhooksRoutes;
