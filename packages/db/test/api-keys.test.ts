import fc from 'fast-check';
import { generateApiKey, hashApiKey, parseApiKey, verifyApiKey } from '../src/api-keys';

describe('API keys', () => {
  const saved = process.env.RIMWATCH_KEY_PEPPER;
  afterEach(() => {
    if (saved === undefined) delete process.env.RIMWATCH_KEY_PEPPER;
    else process.env.RIMWATCH_KEY_PEPPER = saved;
  });

  test('generated keys have the rw_<prefix>_<secret> form and verify against their hash', () => {
    const { key, prefix, hash } = generateApiKey();
    expect(key).toMatch(/^rw_[A-Za-z0-9]{8}_[A-Za-z0-9]{32}$/);
    expect(key.startsWith(`rw_${prefix}_`)).toBe(true);
    expect(parseApiKey(key)).toEqual({ prefix, secret: key.slice(12) });
    expect(hash).not.toContain(key.slice(12));
    expect(hash).toBe(hashApiKey(key));
    expect(verifyApiKey(key, hash)).toBe(true);
  });

  test('keys and prefixes are unique', () => {
    const keys = Array.from({ length: 500 }, () => generateApiKey());
    expect(new Set(keys.map((k) => k.key)).size).toBe(500);
    expect(new Set(keys.map((k) => k.prefix)).size).toBe(500);
  });

  test('a different key, a changed character, a tampered hash or another pepper do not verify', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(verifyApiKey(b.key, a.hash)).toBe(false);
    const flipped = a.key.slice(0, -1) + (a.key.endsWith('A') ? 'B' : 'A');
    expect(verifyApiKey(flipped, a.hash)).toBe(false);
    expect(verifyApiKey(a.key, a.hash.slice(0, -1))).toBe(false);
    expect(verifyApiKey(a.key, '')).toBe(false);
    expect(verifyApiKey('', a.hash)).toBe(false);
    process.env.RIMWATCH_KEY_PEPPER = 'another-pepper';
    expect(verifyApiKey(a.key, a.hash)).toBe(false);
    expect(verifyApiKey(a.key, hashApiKey(a.key))).toBe(true);
  });

  test('parseApiKey rejects anything not in the key format', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const parsed = parseApiKey(s);
        if (parsed) expect(s).toBe(`rw_${parsed.prefix}_${parsed.secret}`);
      }),
    );
    for (const bad of ['', 'rw_', 'rw_short_x', 'Bearer rw_AAAAAAAA_' + 'a'.repeat(32), 'rw_AAAAAAAA_' + 'a'.repeat(31)]) {
      expect(parseApiKey(bad)).toBeNull();
    }
  });

  test('hashApiKey rejects an empty key', () => {
    expect(() => hashApiKey('')).toThrow(/apiKey must be a non-empty string/);
  });
});
