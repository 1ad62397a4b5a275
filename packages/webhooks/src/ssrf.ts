/**
 * Webhook URLs must not point rimwatch at its own network (SSRF): loopback, link-local (cloud
 * metadata at 169.254.169.254), private, CGNAT, multicast and reserved ranges are refused unless
 * RIMWATCH_ALLOW_PRIVATE_WEBHOOKS=1. Checked twice: the URL when an endpoint is created, and every
 * resolved address when a delivery connects (so a public name that later resolves to a private
 * address — DNS rebinding — is refused too).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) blocked.addSubnet(net, prefix, 'ipv6');

/** true for loopback, private, link-local and other non-public addresses (IPv4, IPv6, v4-mapped v6). */
export function isPrivateAddress(ip: string): boolean {
  const addr = ip.replace(/^\[|\]$/g, '');
  const family = isIP(addr);
  if (family === 4) return blocked.check(addr, 'ipv4');
  if (family === 6) {
    // ::ffff:a.b.c.d and ::ffff:xxxx:xxxx are IPv4 addresses in disguise
    const mapped = /^::ffff:(?:0:)?(.+)$/i.exec(addr)?.[1];
    if (mapped) {
      if (isIP(mapped) === 4) return blocked.check(mapped, 'ipv4');
      const m = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(mapped);
      if (m) {
        const n = (parseInt(m[1], 16) << 16) | parseInt(m[2], 16);
        return blocked.check([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.'), 'ipv4');
      }
    }
    return blocked.check(addr, 'ipv6');
  }
  return false;
}

export const allowPrivateWebhooks = (env: NodeJS.ProcessEnv = process.env): boolean => env.RIMWATCH_ALLOW_PRIVATE_WEBHOOKS === '1';

export type UrlCheck = { ok: true; url: URL } | { ok: false; message: string };

/** Syntactic check of a webhook URL (no DNS): http(s), no credentials, not a private address or local name. */
export function checkWebhookUrl(raw: unknown, opts: { allowPrivate?: boolean } = {}): UrlCheck {
  if (typeof raw !== 'string' || raw.length === 0) return { ok: false, message: 'must be a non-empty string' };
  if (raw.length > 2048) return { ok: false, message: 'must be at most 2048 characters' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: `is not a valid URL (${JSON.stringify(raw.slice(0, 80))})` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, message: `must use http or https, not ${url.protocol.replace(':', '')}` };
  if (url.username || url.password) return { ok: false, message: 'must not contain credentials' };
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (opts.allowPrivate) return { ok: true, url };
  if (isIP(host) && isPrivateAddress(host)) return { ok: false, message: `points to a private or loopback address (${host}); set RIMWATCH_ALLOW_PRIVATE_WEBHOOKS=1 to allow it` };
  if (!isIP(host) && (host === 'localhost' || /\.(localhost|local|internal|localdomain)$/.test(host) || !host.includes('.'))) {
    return { ok: false, message: `points to a local host name (${host}); set RIMWATCH_ALLOW_PRIVATE_WEBHOOKS=1 to allow it` };
  }
  return { ok: true, url };
}

/** A dns.lookup for http.request that refuses private addresses at connect time. */
export function publicOnlyLookup(): LookupFunction {
  return ((hostname: string, options: object, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as LookupAddress[];
      const bad = list.find((a) => isPrivateAddress(a.address));
      if (bad) {
        const e: NodeJS.ErrnoException = new Error(`${hostname} resolves to a private address (${bad.address}); refused (RIMWATCH_ALLOW_PRIVATE_WEBHOOKS=1 allows it)`);
        e.code = 'EPRIVATEADDR';
        return callback(e, '', 0);
      }
      if ((options as { all?: boolean }).all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  }) as LookupFunction;
}
