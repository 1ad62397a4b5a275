/**
 * Serves the browser dashboard (apps/dashboard/dist) at `/`: no auth here (the page asks for an API
 * key and calls /v1 with it), no CDN (every asset is in dist/). When dist/ is missing — a fresh clone
 * whose postinstall did not run — it is built once at startup; if that fails the app fails to start
 * with a message saying how to build it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import { ensureDashboardBuilt } from '@rimwatch/dashboard';

export interface DashboardOptions {
  /** directory with the built assets (default apps/dashboard/dist) */
  distDir?: string;
}

// The page talks only to its own origin; ECharts sets inline styles, hence style-src 'unsafe-inline'.
const CSP = "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

const dashboardRoutes: FastifyPluginAsync<DashboardOptions> = async (app, opts) => {
  if (process.env.RIMWATCH_DASHBOARD === '0') return;
  const { outdir, built } = await ensureDashboardBuilt(opts.distDir);
  if (built) app.log.info({ outdir }, 'dashboard built');
  await app.register(fastifyStatic, {
    root: outdir,
    prefix: '/',
    // only the files present now get routes, so unknown paths still reach the JSON 404 handler
    wildcard: false,
    // `/` is served below: @fastify/static's pre-compressed lookup 404s on `/` for a browser sending Accept-Encoding
    index: false,
    preCompressed: true,
    decorateReply: false,
    cacheControl: false,
    setHeaders: securityHeaders,
  });
  app.get('/', { schema: { hide: true } }, async (_req, reply) => {
    securityHeaders(reply);
    return reply.type('text/html; charset=utf-8').send(await readFile(join(outdir, 'index.html')));
  });
};

function securityHeaders(reply: FastifyReply): void {
  // file names are not content-hashed: always revalidate (ETag / Last-Modified make that a 304)
  reply.header('cache-control', 'no-cache');
  reply.header('content-security-policy', CSP);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
}

export default dashboardRoutes;
