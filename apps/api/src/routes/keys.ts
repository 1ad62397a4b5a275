/** API keys of the caller's team: list, create (the secret is shown once), revoke. */
import type { FastifyPluginAsync } from 'fastify';
import { ApiKeyListSchema, ApiKeySchema, CreateApiKeyBodySchema, CreatedApiKeySchema, ErrorBodySchema, IdParamsSchema, type ApiKeyDto } from '@rimwatch/contracts';
import { generateApiKey, type ApiKey } from '@rimwatch/db';
import { notFound } from '../errors';
import { iso, isUuid } from '../util';

function toDto(k: ApiKey): ApiKeyDto {
  return { id: k.id, name: k.name, prefix: k.prefix, createdAt: k.createdAt.toISOString(), lastUsedAt: iso(k.lastUsedAt), revokedAt: iso(k.revokedAt) };
}

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 404: ErrorBodySchema, 429: ErrorBodySchema };

const keysRoutes: FastifyPluginAsync = async (app) => {
  const { prisma } = app;

  app.get('/keys', { schema: { summary: "List the team's API keys", tags: ['keys'], response: { 200: ApiKeyListSchema, ...errors } } }, async (req) => {
    const keys = await prisma.apiKey.findMany({ where: { teamId: req.auth.teamId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    return { items: keys.map(toDto) };
  });

  app.post<{ Body: { name: string } }>(
    '/keys',
    { schema: { summary: 'Create an API key (the key is returned only here)', tags: ['keys'], body: CreateApiKeyBodySchema, response: { 201: CreatedApiKeySchema, ...errors } } },
    async (req, reply) => {
      const { key, prefix, hash } = generateApiKey();
      const row = await prisma.apiKey.create({ data: { teamId: req.auth.teamId, name: req.body.name, prefix, hash } });
      reply.code(201);
      return { ...toDto(row), key };
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/keys/:id',
    { schema: { summary: 'Revoke an API key (rejected from the next request on)', tags: ['keys'], params: IdParamsSchema, response: { 200: ApiKeySchema, ...errors } } },
    async (req) => {
      if (!isUuid(req.params.id)) throw notFound('API key');
      const key = await prisma.apiKey.findFirst({ where: { id: req.params.id, teamId: req.auth.teamId } });
      if (!key) throw notFound('API key');
      const row = key.revokedAt ? key : await prisma.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
      return toDto(row);
    },
  );
};

export default keysRoutes;
