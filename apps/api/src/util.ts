import { badRequest } from './errors';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ids are UUIDs; anything else cannot exist, so routes answer 404 without asking Postgres. */
export const isUuid = (s: unknown): s is string => typeof s === 'string' && UUID_RE.test(s);

/** Opaque page cursors: base64url JSON of the sort key of the last item served. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeCursor<T>(cursor: string, field: string, check: (v: unknown) => v is T): T {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badRequest(`${field} is not a cursor returned by this API`, field);
  }
  if (!check(v)) throw badRequest(`${field} is not a cursor returned by this API`, field);
  return v;
}

/** [createdAt ISO, id] cursor for lists ordered newest first. */
export type TimeCursor = [string, string];
export const isTimeCursor = (v: unknown): v is TimeCursor =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && !Number.isNaN(Date.parse(v[0])) && isUuid(v[1]);

export const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
