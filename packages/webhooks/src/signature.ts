/**
 * Webhook signatures: `X-Rimwatch-Signature: sha256=<hex HMAC-SHA256 of the raw request body>`,
 * keyed with the endpoint's secret (the scheme GitHub uses, so receivers know how to check it).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-rimwatch-signature';
export const DELIVERY_HEADER = 'x-rimwatch-delivery';
const PREFIX = 'sha256=';

/** The header value for `body` signed with `secret`. */
export function signBody(secret: string, body: string | Buffer): string {
  if (typeof secret !== 'string' || secret.length === 0) throw new TypeError('secret must be a non-empty string');
  return PREFIX + createHmac('sha256', secret).update(body).digest('hex');
}

/**
 * For receivers: true when `header` is the signature of the raw `body` (the exact bytes received,
 * before any JSON parsing) under `secret`. Constant-time comparison; malformed headers are false.
 */
export function verifySignature(secret: string, body: string | Buffer, header: string | string[] | undefined | null): boolean {
  if (typeof header !== 'string' || !header.startsWith(PREFIX)) return false;
  const got = Buffer.from(header.slice(PREFIX.length), 'hex');
  const want = Buffer.from(signBody(secret, body).slice(PREFIX.length), 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

/** A new random signing secret (shown to the user once, when the endpoint is created). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
