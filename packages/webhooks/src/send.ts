/**
 * One HTTP POST of a signed webhook body. node:http rather than fetch because the connection's DNS
 * lookup must be ours (publicOnlyLookup) to refuse private addresses at connect time.
 */
import http from 'node:http';
import https from 'node:https';
import { checkWebhookUrl, publicOnlyLookup } from './ssrf';
import { DELIVERY_HEADER, SIGNATURE_HEADER, signBody } from './signature';

export interface SendOptions {
  timeoutMs: number;
  allowPrivate: boolean;
  deliveryId: string;
  userAgent?: string;
}

export interface SendResult {
  ok: boolean;
  /** HTTP status, when a response arrived */
  status?: number;
  /** why it failed (network error, timeout, non-2xx with the start of the body) */
  error?: string;
  /** worth retrying: network errors, timeouts, 5xx, 408, 429 */
  retryable: boolean;
}

const MAX_ERROR_BODY = 200;

export function sendWebhook(rawUrl: string, secret: string, body: string, opts: SendOptions): Promise<SendResult> {
  const check = checkWebhookUrl(rawUrl, { allowPrivate: opts.allowPrivate });
  if (!check.ok) return Promise.resolve({ ok: false, error: `url ${check.message}`, retryable: false });
  const url = check.url;
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = mod.request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': opts.userAgent ?? 'rimwatch-webhooks/0.1',
          [SIGNATURE_HEADER]: signBody(secret, body),
          [DELIVERY_HEADER]: opts.deliveryId,
        },
        ...(opts.allowPrivate ? {} : { lookup: publicOnlyLookup() }),
        agent: false, // no pooled sockets: a receiver that hangs must not hold one for the next attempt
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_ERROR_BODY) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => {
          if (status >= 200 && status < 300) return done({ ok: true, status, retryable: false });
          const snippet = Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY).replace(/\s+/g, ' ').trim();
          const redirect = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
          done({ ok: false, status, error: `HTTP ${status}${redirect}${snippet ? `: ${snippet}` : ''}`, retryable: status >= 500 || status === 408 || status === 429 });
        });
        res.on('error', (err) => done({ ok: false, status, error: `response error: ${err.message}`, retryable: true }));
      },
    );
    const timer = setTimeout(() => {
      done({ ok: false, error: `timed out after ${opts.timeoutMs} ms`, retryable: true });
      req.destroy();
    }, opts.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, error: err.code === 'EPRIVATEADDR' ? err.message : `request failed: ${err.code ?? ''} ${err.message}`.replace('  ', ' '), retryable: err.code !== 'EPRIVATEADDR' }));
    req.end(body);
  });
}
