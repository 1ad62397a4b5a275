/**
 * One error shape for every failure: `{ error, message, field? }`. Handlers throw `ApiError`; the
 * error handler in app.ts maps it, Fastify's own errors (validation, body too large, bad JSON) and
 * anything unexpected (500, message hidden) onto that shape.
 */
import type { FastifyError } from 'fastify';
import { ERROR_CODES, pointerToDotted, type ErrorBody } from '@rimwatch/contracts';

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new ApiError(404, ERROR_CODES.notFound, `${what} not found`);
export const badRequest = (message: string, field?: string) => new ApiError(400, ERROR_CODES.validation, message, field);

const CONTEXT_NAMES: Record<string, string> = { body: 'body', querystring: 'query', params: 'params', headers: 'headers' };

/** Fastify/ajv validation error -> `query.limit must be <= 200` with field `query.limit`. */
function fromValidation(err: FastifyError): ErrorBody {
  const first = err.validation?.[0];
  const root = CONTEXT_NAMES[err.validationContext ?? ''] ?? 'request';
  if (!first) return { error: ERROR_CODES.validation, message: err.message };
  let field = pointerToDotted(first.instancePath ?? '', root);
  const params = first.params as Record<string, unknown> | undefined;
  if (typeof params?.missingProperty === 'string') field = `${field}.${params.missingProperty}`;
  if (typeof params?.additionalProperty === 'string') field = `${field}.${params.additionalProperty}`;
  const detail = typeof params?.additionalProperty === 'string' ? 'is not a known field' : params?.missingProperty ? 'is required' : (first.message ?? 'is invalid');
  return { error: ERROR_CODES.validation, message: `${field} ${detail}`, field };
}

const STATUS_CODES: Record<number, string> = {
  400: ERROR_CODES.validation,
  401: ERROR_CODES.unauthorized,
  404: ERROR_CODES.notFound,
  409: ERROR_CODES.conflict,
  413: ERROR_CODES.payloadTooLarge,
  415: 'unsupported_media_type',
  429: ERROR_CODES.rateLimited,
  503: ERROR_CODES.unavailable,
};

export function toErrorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof ApiError) {
    const body: ErrorBody = { error: err.code, message: err.message };
    if (err.field !== undefined) body.field = err.field;
    return { status: err.statusCode, body };
  }
  const e = err as FastifyError & { statusCode?: number };
  if (e?.validation) return { status: 400, body: fromValidation(e) };
  const status = typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 600 ? e.statusCode : 500;
  if (status >= 500) return { status, body: { error: STATUS_CODES[status] ?? ERROR_CODES.internal, message: status === 503 ? (e.message ?? 'service unavailable') : 'internal server error' } };
  if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e instanceof SyntaxError) return { status: 400, body: { error: 'invalid_json', message: `request body is not valid JSON: ${e.message}`, field: 'body' } };
  if (e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return { status: 400, body: { error: 'invalid_json', message: 'request body is empty', field: 'body' } };
  return { status, body: { error: STATUS_CODES[status] ?? `http_${status}`, message: e.message ?? 'request failed' } };
}
