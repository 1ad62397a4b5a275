/**
 * Datasets: JSONL upload (the request body is the file), list, get.
 *
 * The upload is streamed: bytes go to a temporary file under DATA_DIR while each line is parsed and
 * checked against its kind's row schema, so memory stays flat whatever the file size. The first bad
 * row stops it with a 400 naming the row (its line number); going over the size limit is a 413.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import {
  DatasetListSchema,
  DatasetSchema,
  DatasetUploadQuerySchema,
  ERROR_CODES,
  ErrorBodySchema,
  IdParamsSchema,
  JSONL_CONTENT_TYPES,
  PageQuerySchema,
  validateDatasetRow,
  type DatasetDto,
  type DatasetKind,
  type DatasetUploadQuery,
} from '@rimwatch/contracts';
import type { Dataset } from '@rimwatch/db';
import { ApiError, badRequest, notFound } from '../errors';
import { decodeCursor, encodeCursor, isTimeCursor, isUuid } from '../util';

export interface DatasetRoutesOptions {
  /** where uploaded files are stored (Dataset.storageLocation points into it) */
  dataDir: string;
  /** maximum upload size in bytes */
  maxUploadBytes: number;
}

function toDto(d: Dataset): DatasetDto {
  return { id: d.id, name: d.name, kind: d.kind as DatasetKind, rowCount: d.rowCount, checksum: d.checksum, sizeBytes: d.sizeBytes, createdAt: d.createdAt.toISOString() };
}

const tooLarge = (limit: number) => new ApiError(413, ERROR_CODES.payloadTooLarge, `upload exceeds the ${limit}-byte limit`, 'body');
const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 404: ErrorBodySchema, 413: ErrorBodySchema, 415: ErrorBodySchema, 429: ErrorBodySchema };

const datasetsRoutes: FastifyPluginAsync<DatasetRoutesOptions> = async (app, opts) => {
  const { prisma } = app;
  const dataDir = resolve(opts.dataDir);
  const limit = opts.maxUploadBytes;

  // hand the raw request stream to the handler: nothing is buffered by Fastify
  app.addContentTypeParser([...JSONL_CONTENT_TYPES], (_req, payload, done) => done(null, payload));

  app.post<{ Querystring: DatasetUploadQuery }>(
    '/datasets',
    {
      schema: {
        summary: 'Upload a JSONL dataset',
        description: `Body: the JSONL file (Content-Type ${JSONL_CONTENT_TYPES.join(' | ')}), one row per line, each checked against the row schema of \`kind\`. 400 names the first bad row (1-based line number); 413 over the size limit.`,
        tags: ['datasets'],
        querystring: DatasetUploadQuerySchema,
        response: { 201: DatasetSchema, ...errors },
      },
    },
    async (req, reply) => {
      const { teamId } = req.auth;
      const { name, kind } = req.query;
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
      const body = req.body as Readable | undefined;
      if (!body || typeof (body as Readable).on !== 'function') {
        throw new ApiError(415, 'unsupported_media_type', `send the JSONL file as the body with Content-Type ${JSONL_CONTENT_TYPES[0]}`, 'headers.content-type');
      }

      const id = randomUUID();
      const dir = join(dataDir, 'datasets', teamId);
      await mkdir(dir, { recursive: true });
      const finalPath = join(dir, `${id}.jsonl`);
      const partPath = `${finalPath}.part`;
      const out = createWriteStream(partPath);
      const hash = createHash('sha256');
      const decoder = new StringDecoder('utf8');
      let bytes = 0;
      let rows = 0;
      let line = 0;
      let pending = '';
      const checkLine = (text: string) => {
        line++;
        if (text.trim() === '') return; // blank lines (e.g. a trailing newline) are allowed
        let row: unknown;
        try {
          row = JSON.parse(text);
        } catch (err) {
          throw badRequest(`row ${line} is not valid JSON: ${(err as Error).message}`, `rows[${line}]`);
        }
        const bad = validateDatasetRow(kind, row);
        if (bad) throw badRequest(`row ${line}: ${bad.message}`, `rows[${line}].${bad.field}`.replace(/\.\(root\)$/, ''));
        rows++;
      };
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          bytes += chunk.length;
          if (bytes > limit) throw tooLarge(limit);
          hash.update(chunk);
          if (!out.write(chunk)) await once(out, 'drain');
          pending += decoder.write(chunk);
          let nl: number;
          while ((nl = pending.indexOf('\n')) >= 0) {
            checkLine(pending.slice(0, nl).replace(/\r$/, ''));
            pending = pending.slice(nl + 1);
          }
        }
        pending += decoder.end();
        if (pending !== '') checkLine(pending.replace(/\r$/, ''));
        if (rows === 0) throw badRequest('the dataset has no rows', 'body');
        out.end();
        await once(out, 'close');
        await rename(partPath, finalPath);
      } catch (err) {
        out.destroy();
        await rm(partPath, { force: true });
        // stop reading; Node discards the rest of the request body once the response is sent
        body.unpipe?.();
        throw err;
      }
      try {
        const ds = await prisma.dataset.create({
          data: { id, teamId, name, kind, rowCount: rows, checksum: hash.digest('hex'), storageLocation: finalPath, sizeBytes: bytes },
        });
        reply.code(201).header('location', `/v1/datasets/${ds.id}`);
        return toDto(ds);
      } catch (err) {
        await rm(finalPath, { force: true });
        throw err;
      }
    },
  );

  app.get<{ Querystring: { cursor?: string; limit?: number } }>(
    '/datasets',
    { schema: { summary: 'List datasets, newest first', tags: ['datasets'], querystring: PageQuerySchema, response: { 200: DatasetListSchema, ...errors } } },
    async (req) => {
      const { cursor, limit = 50 } = req.query;
      const where: NonNullable<Parameters<typeof prisma.dataset.findMany>[0]>['where'] = { teamId: req.auth.teamId };
      if (cursor) {
        const [at, cid] = decodeCursor(cursor, 'query.cursor', isTimeCursor);
        const createdAt = new Date(at);
        where.OR = [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: cid } }];
      }
      const rows = await prisma.dataset.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: limit + 1 });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return { items: page.map(toDto), nextCursor: rows.length > limit && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : null };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/datasets/:id',
    { schema: { summary: 'Get a dataset', tags: ['datasets'], params: IdParamsSchema, response: { 200: DatasetSchema, ...errors } } },
    async (req) => {
      if (!isUuid(req.params.id)) throw notFound('dataset');
      const ds = await prisma.dataset.findFirst({ where: { id: req.params.id, teamId: req.auth.teamId } });
      if (!ds) throw notFound('dataset');
      return toDto(ds);
    },
  );
};

export default datasetsRoutes;
