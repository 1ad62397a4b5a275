/**
 * Bearer API keys. Every request in the scope this plugin is registered in must carry
 * `Authorization: Bearer rw_<prefix>_<secret>`; the key is looked up by prefix and checked against
 * its stored hash on every request (no cache), so a revoked key is rejected at once.
 */
import fp from 'fastify-plugin';
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

export default fp(
  async (app) => {
    const lastTouched = new Map<string, number>();
    app.decorateRequest('auth', null as unknown as AuthContext);
    app.addHook('onRequest', async (req, reply) => {
      const header = req.headers.authorization;
      if (!header) {
        reply.header('www-authenticate', 'Bearer');
        throw unauthorized('missing Authorization header; send "Authorization: Bearer <api key>"');
      }
      if (!header.startsWith('Bearer ')) throw unauthorized('Authorization must use the Bearer scheme');
      const key = header.slice(7).trim();
      const parsed = parseApiKey(key);
      if (!parsed) throw unauthorized('malformed API key (expected rw_<prefix>_<secret>)');
      // every request, so raw pg with a named (prepared) statement rather than Prisma (see plugins/db.ts)
      const { rows } = await app.pg.query<{ id: string; teamId: string; hash: string; revokedAt: Date | null }>({
        name: 'rimwatch-api-key-by-prefix',
        text: 'SELECT id, "teamId", hash, "revokedAt" FROM "ApiKey" WHERE prefix = $1',
        values: [parsed.prefix],
      });
      const row = rows[0];
      if (!row || !verifyApiKey(key, row.hash)) throw unauthorized('invalid API key');
      if (row.revokedAt) throw unauthorized('API key has been revoked');
      req.auth = { teamId: row.teamId, keyId: row.id, prefix: parsed.prefix };
      const now = Date.now();
      if ((lastTouched.get(row.id) ?? 0) + TOUCH_INTERVAL_MS < now) {
        lastTouched.set(row.id, now);
        app.prisma.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: new Date(now) } }).catch((err) => req.log.warn({ err }, 'could not record key use'));
      }
    });
  },
  { name: 'auth', dependencies: ['db'] },
);
