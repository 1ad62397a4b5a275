import { buildAlertPayload, checkWebhookUrl, generateWebhookSecret, isPrivateAddress, signBody, verifySignature } from '../src';

describe('signature', () => {
  const secret = 'whsec_test';
  const body = JSON.stringify({ event: 'alert', x: 1 });

  it('verifies the signature of the exact body', () => {
    const header = signBody(secret, body);
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature(secret, body, header)).toBe(true);
    expect(verifySignature(secret, Buffer.from(body), header)).toBe(true);
  });

  it('rejects a changed body, another secret and malformed headers', () => {
    const header = signBody(secret, body);
    expect(verifySignature(secret, body + ' ', header)).toBe(false);
    expect(verifySignature('other', body, header)).toBe(false);
    expect(verifySignature(secret, body, undefined)).toBe(false);
    expect(verifySignature(secret, body, header.replace('sha256=', 'sha1='))).toBe(false);
    expect(verifySignature(secret, body, 'sha256=abc')).toBe(false);
    expect(verifySignature(secret, body, [header])).toBe(false);
  });

  it('generates distinct secrets', () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(generateWebhookSecret()).not.toBe(a);
  });
});

describe('SSRF guard', () => {
  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['8.8.8.8', false],
    ['::1', true],
    ['fe80::1', true],
    ['fd00::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['::ffff:8.8.8.8', false],
    ['2606:4700::1111', false],
  ])('%s private=%s', (ip, expected) => {
    expect(isPrivateAddress(ip)).toBe(expected);
  });

  it('refuses private, local and non-http URLs unless allowed', () => {
    expect(checkWebhookUrl('https://hooks.slack.com/services/T/B/X').ok).toBe(true);
    for (const u of ['http://127.0.0.1:8080/x', 'http://localhost/x', 'http://[::1]/x', 'http://169.254.169.254/latest', 'http://metadata.google.internal/', 'http://intranet/']) {
      const r = checkWebhookUrl(u);
      expect(r.ok).toBe(false);
      expect(checkWebhookUrl(u, { allowPrivate: true }).ok).toBe(true);
    }
    expect(checkWebhookUrl('ftp://example.com/x')).toEqual({ ok: false, message: 'must use http or https, not ftp' });
    expect(checkWebhookUrl('https://user:pw@example.com/')).toMatchObject({ ok: false, message: 'must not contain credentials' });
    expect(checkWebhookUrl('not a url').ok).toBe(false);
    expect(checkWebhookUrl(42).ok).toBe(false);
  });
});

describe('alert payload', () => {
  const input = {
    alertEvent: { id: 'e1', ruleId: 'r1', step: 4, value: 0.153, state: 'firing' as const, createdAt: new Date('2026-01-01T00:00:00Z') },
    rule: { name: 'misalignment up', metricKey: 'misalignment_rate', comparator: 'gt', threshold: 0.1, mode: 'deltaFromBase', window: 1 },
    job: { id: 'j1', name: 'demo' },
  };

  it('carries rule, value, step, state, job and a Slack text line', () => {
    const p = buildAlertPayload(input);
    expect(p.event).toBe('alert');
    expect(p.alert).toMatchObject({ id: 'e1', ruleId: 'r1', name: 'misalignment up', metric: 'misalignment_rate', comparator: 'gt', threshold: 0.1, mode: 'deltaFromBase', value: 0.153, step: 4, state: 'firing', at: '2026-01-01T00:00:00.000Z' });
    expect(p.job).toEqual({ id: 'j1', name: 'demo' });
    expect(p.text).toBe(':rotating_light: rimwatch alert on job "demo" (j1): misalignment up: misalignment_rate change from base = 0.153 (> 0.1) at step 4');
    expect(p.text).not.toContain('\n');
  });

  it('says resolved for a resolved event', () => {
    const p = buildAlertPayload({ ...input, alertEvent: { ...input.alertEvent, state: 'resolved', value: 0.01 } });
    expect(p.text).toMatch(/^:white_check_mark: rimwatch alert resolved/);
  });
});
