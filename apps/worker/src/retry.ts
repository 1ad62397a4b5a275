/**
 * Retries for brief Postgres outages. Every PipelineStore write is an idempotent upsert (see
 * packages/pipeline/src/store.ts), so re-running a whole store call after a connection error is safe;
 * wrapping the store's methods keeps the pipeline unchanged.
 */
const TRANSIENT_PRISMA = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2034']);
const TRANSIENT_ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TransactionWriteConflict']);
const TRANSIENT_NODE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** Postgres SQLSTATEs worth retrying: connection exceptions (08), shutdown (57P0x), too many connections, serialization/deadlock. */
function transientSqlState(code: unknown): boolean {
  return typeof code === 'string' && (code.startsWith('08') || /^57P0[123]$/.test(code) || code === '53300' || code === '40001' || code === '40P01');
}

/** true for errors a retry can fix: the database was unreachable, restarted, or dropped the connection. */
export function isTransientDbError(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const e = err as { code?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: string; code?: string; originalCode?: string } } }; cause?: unknown; message?: unknown };
  if (typeof e.code === 'string' && (TRANSIENT_PRISMA.has(e.code) || TRANSIENT_NODE.has(e.code))) return true;
  const cause = e.meta?.driverAdapterError?.cause;
  if (cause && ((cause.kind && TRANSIENT_ADAPTER_KINDS.has(cause.kind)) || transientSqlState(cause.originalCode ?? cause.code))) return true;
  if (typeof e.code === 'string' && transientSqlState(e.code) && e.code.length === 5) return true;
  if (typeof e.message === 'string' && /Connection terminated unexpectedly|Can't reach database server|connection (is )?closed/i.test(e.message)) return true;
  return isTransientDbError(e.cause, depth + 1);
}

export interface RetryOptions {
  /** attempts in all (default 8: about 1+2+4+8+15+15+15 s ≈ 1 minute of outage) */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  isRetryable?: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

export async function withRetry<T>(fn: () => Promise<T>, o: RetryOptions = {}): Promise<T> {
  const attempts = o.attempts ?? 8;
  const base = o.baseDelayMs ?? 1000;
  const max = o.maxDelayMs ?? 15_000;
  const retryable = o.isRetryable ?? isTransientDbError;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !retryable(err)) throw err;
      // full jitter keeps several workers from reconnecting in lockstep
      const delay = Math.round(Math.min(max, base * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
      o.onRetry?.(err, attempt, delay);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** The same object with every async method retried on transient database errors. */
export function withRetries<T extends object>(target: T, o: RetryOptions = {}): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const v = Reflect.get(obj, prop, receiver);
      if (typeof v !== 'function' || prop === 'constructor') return v;
      return (...args: unknown[]) => withRetry(() => Promise.resolve(v.apply(obj, args)), o);
    },
  });
}
