/**
 * Bearer API keys. Every request in the scope this plugin is registered in must carry
 * `Authorization: Bearer rw_<prefix>_<secret>`; the key is looked up by prefix and checked against
 * its stored hash on every request (no cache), so a revoked key is rejected at once.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseApiKey, verifyApiKey } from '@rimwatch/db';
import { ERROR_CODES } from '@rimwatch/contracts';
import { ApiError } from '../errors';

export interface AuthContext {
  teamId: string;
  keyId: string;
  prefix: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext;
  }
}

/** The visible key prefix of a request's bearer token, if it has one (rate-limit bucket). */
export function bearerPrefix(authorization: string | undefined): string | undefined {
  if (!authorization?.startsWith('Bearer ')) return undefined;
  return parseApiKey(authorization.slice(7).trim())?.prefix;
}

const unauthorized = (message: string) => new ApiError(401, ERROR_CODES.unauthorized, message);
/** lastUsedAt is informational: write it at most once a minute per key, off the request path. */
const TOUCH_INTERVAL_MS = 60_000;

/** The key row columns auth needs; routes doing inline auth select these (see `completeAuth`). */
export interface KeyRow {
  id: string;
  teamId: string;
  hash: string;
  revokedAt: Date | null;
}

export interface PendingKey {
  key: string;
  prefix: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** set instead of `auth` on routes with `config: { inlineAuth: true }` */
    pendingKey?: PendingKey;
  }
  interface FastifyContextConfig {
    /**
     * The route looks the key row up itself, in the same round trip as its own query (the metrics
     * ETag poll), and must call `completeAuth` before using anything it read. Such a route sets
     * `attachValidation: true` and authenticates before reporting a validation error (401 first).
     */
    inlineAuth?: boolean;
  }
}

function parseHeader(req: FastifyRequest, reply: FastifyReply): PendingKey {
  const header = req.headers.authorization;
  if (!header) {
    reply.header('www-authenticate', 'Bearer');
    throw unauthorized('missing Authorization header; send "Authorization: Bearer <api key>"');
  }
  if (!header.startsWith('Bearer ')) throw unauthorized('Authorization must use the Bearer scheme');
  const key = header.slice(7).trim();
  const parsed = parseApiKey(key);
  if (!parsed) throw unauthorized('malformed API key (expected rw_<prefix>_<secret>)');
  return { key, prefix: parsed.prefix };
}

const lastTouched = new Map<string, number>();

/** Checks a looked-up key row against the presented key (401 unless valid and not revoked) and sets `req.auth`. */
export function completeAuth(app: FastifyInstance, req: FastifyRequest, pending: PendingKey, row: KeyRow | undefined): AuthContext {
  if (!row || !verifyApiKey(pending.key, row.hash)) throw unauthorized('invalid API key');
  if (row.revokedAt) throw unauthorized('API key has been revoked');
  req.auth = { teamId: row.teamId, keyId: row.id, prefix: pending.prefix };
  const now = Date.now();
  if ((lastTouched.get(row.id) ?? 0) + TOUCH_INTERVAL_MS < now) {
    lastTouched.set(row.id, now);
    app.prisma.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: new Date(now) } }).catch((err) => req.log.warn({ err }, 'could not record key use'));
  }
  return req.auth;
}

/** Looks the key up and completes auth (the hook's path; inline-auth routes use it when they bail out early). */
export async function authenticate(app: FastifyInstance, req: FastifyRequest, pending: PendingKey): Promise<AuthContext> {
  // every request, so raw pg with a named (prepared) statement rather than Prisma (see plugins/db.ts)
  const { rows } = await app.pg.query<KeyRow>({
    name: 'rimwatch-api-key-by-prefix',
    text: 'SELECT id, "teamId", hash, "revokedAt" FROM "ApiKey" WHERE prefix = $1',
    values: [pending.prefix],
  });
  return completeAuth(app, req, pending, rows[0]);
}

export default fp(
  async (app) => {
    app.decorateRequest('auth', null as unknown as AuthContext);
    app.decorateRequest('pendingKey', undefined);
    app.addHook('onRequest', async (req, reply) => {
      const pending = parseHeader(req, reply);
      if (req.routeOptions.config.inlineAuth) {
        req.pendingKey = pending;
        return;
      }
      await authenticate(app, req, pending);
    });
  },
  { name: 'auth', dependencies: ['db'] },
);
