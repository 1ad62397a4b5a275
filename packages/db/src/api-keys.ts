// API keys look like `rw_<prefix>_<secret>`: the 8-character prefix is stored in clear (unique, used
// to find the row and shown in listings), only a keyed hash of the whole key is stored.
// HMAC-SHA256 with a server-side pepper rather than scrypt/argon2: the secret has ~190 bits of
// entropy, so a slow hash adds nothing against guessing, while a per-request scrypt would cap the
// API's throughput; the pepper means a leaked database alone does not allow offline checks.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const DEV_PEPPER = 'rimwatch-dev-pepper-change-me';
const KEY_RE = /^rw_([A-Za-z0-9]{8})_([A-Za-z0-9]{32})$/;

export interface GeneratedApiKey {
  /** the full key, shown to the user once */
  key: string;
  /** the visible, unique lookup prefix (8 characters) */
  prefix: string;
  /** what to store: `hmac-sha256$<hex>` */
  hash: string;
}

function pepper(): string {
  return process.env.RIMWATCH_KEY_PEPPER || DEV_PEPPER;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomAlnum(n: number): string {
  // 256 % 62 != 0, so reject bytes >= 248 to keep the choice uniform
  let out = '';
  while (out.length < n) {
    for (const b of randomBytes(n * 2)) {
      if (b < 248 && out.length < n) out += ALNUM[b % 62];
    }
  }
  return out;
}

export function generateApiKey(): GeneratedApiKey {
  const prefix = randomAlnum(8);
  const secret = randomAlnum(32); // ~190 bits; alphanumeric so the key splits cleanly on '_'
  const key = `rw_${prefix}_${secret}`;
  return { key, prefix, hash: hashApiKey(key) };
}

/** Splits a presented key; null when it is not in the `rw_<prefix>_<secret>` form. */
export function parseApiKey(key: string): { prefix: string; secret: string } | null {
  const m = typeof key === 'string' ? KEY_RE.exec(key) : null;
  return m ? { prefix: m[1], secret: m[2] } : null;
}

export function hashApiKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0) throw new Error('apiKey must be a non-empty string');
  return `hmac-sha256$${createHmac('sha256', pepper()).update(key, 'utf8').digest('hex')}`;
}

/** Constant-time comparison of a presented key against a stored hash. */
export function verifyApiKey(key: string, hash: string): boolean {
  if (typeof key !== 'string' || key.length === 0 || typeof hash !== 'string') return false;
  const expected = Buffer.from(hashApiKey(key), 'utf8');
  const actual = Buffer.from(hash, 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
