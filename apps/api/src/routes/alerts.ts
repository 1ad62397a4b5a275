/**
 * Alerts: team-wide alert rules (`/v1/alert-rules`, applied to every job of the team next to the job
 * spec's rules and the built-in defaults) and the alert events they produced (`/v1/alerts`,
 * `/v1/jobs/:id/alerts`), newest first. Deleting a rule disables it, so the events it produced stay
 * queryable.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { AlertRuleSpecSchema, ErrorBodySchema, IdParamsSchema, PageQuerySchema } from '@rimwatch/contracts';
import type { AlertEvent, AlertRule, Prisma } from '@rimwatch/db';
import { notFound } from '../errors';
import { decodeCursor, encodeCursor, isTimeCursor, isUuid } from '../util';
import { findTeamJob } from './jobs';

const Uuid = Type.String({ format: 'uuid' });
const Timestamp = Type.String({ format: 'date-time' });

/** The job spec's alert-rule shape, plus an optional display name. */
export const CreateAlertRuleBodySchema = Type.Object(
  {
    ...AlertRuleSpecSchema.properties,
    mode: Type.Optional(AlertRuleSpecSchema.properties.mode),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'display name (default: "<metric> <comparator> <threshold>")' })),
  },
  { additionalProperties: false },
);
type CreateAlertRuleBody = Static<typeof CreateAlertRuleBodySchema>;

export const AlertRuleSchema = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    metric: Type.String(),
    comparator: Type.String(),
    threshold: Type.Number(),
    mode: Type.String(),
    window: Type.Integer(),
    cooldownSteps: Type.Integer(),
    createdAt: Timestamp,
  },
  { title: 'AlertRule' },
);

export const AlertEventSchema = Type.Object(
  {
    id: Uuid,
    jobId: Uuid,
    ruleId: Uuid,
    rule: Type.Object({ name: Type.String(), metric: Type.String(), comparator: Type.String(), threshold: Type.Number(), mode: Type.String(), source: Type.String() }),
    step: Type.Integer(),
    value: Type.Number(),
    state: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
    createdAt: Timestamp,
  },
  { title: 'AlertEvent' },
);
const AlertEventListSchema = Type.Object({ items: Type.Array(AlertEventSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) });

const ruleName = (r: Pick<AlertRule, 'name' | 'metricKey' | 'comparator' | 'threshold'>) => r.name ?? `${r.metricKey} ${r.comparator} ${r.threshold}`;

function toRuleDto(r: AlertRule) {
  return { id: r.id, name: ruleName(r), metric: r.metricKey, comparator: r.comparator, threshold: r.threshold, mode: r.mode, window: r.window, cooldownSteps: r.cooldownSteps, createdAt: r.createdAt.toISOString() };
}

function toEventDto(e: AlertEvent & { rule: AlertRule }) {
  return {
    id: e.id,
    jobId: e.jobId,
    ruleId: e.ruleId,
    rule: { name: ruleName(e.rule), metric: e.rule.metricKey, comparator: e.rule.comparator, threshold: e.rule.threshold, mode: e.rule.mode, source: e.rule.source },
    step: e.step,
    value: e.value,
    state: e.state,
    createdAt: e.createdAt.toISOString(),
  };
}

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 404: ErrorBodySchema, 429: ErrorBodySchema };
type PageQuery = Static<typeof PageQuerySchema>;

const alertsRoutes: FastifyPluginAsync = async (app) => {
  const { prisma } = app;

  async function eventPage(where: Prisma.AlertEventWhereInput, { cursor, limit = 50 }: PageQuery) {
    if (cursor) {
      const [at, id] = decodeCursor(cursor, 'query.cursor', isTimeCursor);
      const createdAt = new Date(at);
      where = { AND: [where, { OR: [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: id } }] }] };
    }
    const rows = await prisma.alertEvent.findMany({ where, include: { rule: true }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(toEventDto), nextCursor: rows.length > limit && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : null };
  }

  app.post<{ Body: CreateAlertRuleBody }>(
    '/alert-rules',
    {
      schema: {
        summary: 'Create a team-wide alert rule (applies to every job of the team)',
        tags: ['alerts'],
        body: CreateAlertRuleBodySchema,
        response: { 201: AlertRuleSchema, ...errors },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const row = await prisma.alertRule.create({
        data: { teamId: req.auth.teamId, jobId: null, source: 'user', name: b.name ?? null, metricKey: b.metric, comparator: b.comparator, threshold: b.threshold, mode: b.mode ?? 'absolute', window: b.window ?? 1, cooldownSteps: b.cooldownSteps ?? 0 },
      });
      reply.code(201).header('location', `/v1/alert-rules/${row.id}`);
      return toRuleDto(row);
    },
  );

  app.get('/alert-rules', { schema: { summary: "The team's team-wide alert rules", tags: ['alerts'], response: { 200: Type.Object({ items: Type.Array(AlertRuleSchema) }), ...errors } } }, async (req) => {
    const rows = await prisma.alertRule.findMany({ where: { teamId: req.auth.teamId, jobId: null, enabled: true }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    return { items: rows.map(toRuleDto) };
  });

  app.delete<{ Params: { id: string } }>(
    '/alert-rules/:id',
    { schema: { summary: 'Delete a team-wide alert rule (its past alert events are kept)', tags: ['alerts'], params: IdParamsSchema, response: { 204: Type.Null(), ...errors } } },
    async (req, reply) => {
      if (!isUuid(req.params.id)) throw notFound('alert rule');
      const { count } = await prisma.alertRule.updateMany({ where: { id: req.params.id, teamId: req.auth.teamId, jobId: null, enabled: true }, data: { enabled: false } });
      if (count === 0) throw notFound('alert rule');
      reply.code(204).send();
    },
  );

  app.get<{ Querystring: PageQuery }>(
    '/alerts',
    { schema: { summary: "The team's alert events, newest first", tags: ['alerts'], querystring: PageQuerySchema, response: { 200: AlertEventListSchema, ...errors } } },
    async (req) => eventPage({ teamId: req.auth.teamId }, req.query),
  );

  app.get<{ Params: { id: string }; Querystring: PageQuery }>(
    '/jobs/:id/alerts',
    { schema: { summary: "A job's alert events, newest first", tags: ['alerts'], params: IdParamsSchema, querystring: PageQuerySchema, response: { 200: AlertEventListSchema, ...errors } } },
    async (req) => {
      const job = await findTeamJob(prisma, req.auth.teamId, req.params.id);
      return eventPage({ jobId: job.id, teamId: req.auth.teamId }, req.query);
    },
  );
};

export default alertsRoutes;
