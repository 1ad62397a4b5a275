/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core) against the real API
 * (buildApp listening on 127.0.0.1:0, real Postgres and Redis) with seeded jobs: sign in, the jobs list,
 * the job page's charts with the seeded points, a checkpoint arriving through SSE, ETag polling while
 * the stream is down, cancel, and the submit form's field errors. Screenshots go to
 * test-artifacts/dashboard/ (gitignored).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { chromium, type Browser, type Page } from 'playwright-core';
import { encodeJobEvent, jobEventsChannel, type JobDto } from '@rimwatch/contracts';
import { generateApiKey } from '@rimwatch/db';
import { createTestDatabase, type TestDatabase } from '@rimwatch/db/src/testing';
import { buildApp } from '../../api/src/app';

jest.setTimeout(120_000);

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ARTIFACTS = resolve(__dirname, '../../../test-artifacts/dashboard');

function findChromium(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      // not installed under this name
    }
  }
  return undefined;
}

const CHROMIUM = findChromium();
if (!CHROMIUM) {
  console.warn('\n\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n!!! SKIPPING the dashboard browser tests: no Chromium found.          !!!\n!!! Install it (apt-get install -y chromium, as .ci/run does) or set   !!!\n!!! CHROMIUM_PATH.                                                     !!!\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n');
}
const describeBrowser = CHROMIUM ? describe : describe.skip;

const STEPS = [0, 10, 20, 30, 40];
const CHART_KEYS = [
  'ras.safety',
  'ras.control',
  'ras.all',
  'misalignment_rate',
  'refusal_rate',
  'twin_refusal_rate',
  'misalignment_delta',
  'ras_ratio',
  'train_loss',
  'eval_loss',
  'kl_to_base',
  'reasoning_accuracy',
  'overlap.safety',
  'overlap.control',
  'jaccard.safety',
  'jaccard.control',
];

/** A plausible RIM-like trajectory: misalignment and safety RAS rise together, control RAS wanders. */
function metricValue(key: string, step: number): number {
  const t = step / 80;
  const mis = 0.12 + 0.3 * t;
  switch (key) {
    case 'misalignment_rate':
      return mis;
    case 'misalignment_delta':
      return mis - 0.12;
    case 'refusal_rate':
      return 1 - mis;
    case 'twin_refusal_rate':
      return 0.95 - 0.25 * t;
    case 'ras.safety':
      return 0.02 + 0.5 * t;
    case 'ras.control':
      return 0.05 + 0.03 * Math.sin(step);
    case 'ras.all':
      return 0.04 + 0.1 * t;
    case 'ras_ratio':
      return (0.02 + 0.5 * t) / (0.05 + 0.03 * Math.sin(step));
    case 'train_loss':
      return 2.5 * Math.exp(-2 * t) + 0.4;
    case 'eval_loss':
      return 2.6 * Math.exp(-1.8 * t) + 0.5;
    case 'kl_to_base':
      return 0.8 * t;
    case 'reasoning_accuracy':
      return 0.4 + 0.35 * t;
    default: {
      // overlap.* / jaccard.*: the safety set's overlap with the most-risen reasoning neurons grows
      const overlap = key.endsWith('control') ? 0.08 + 0.01 * Math.cos(step) : 0.1 + 0.4 * t;
      return key.startsWith('jaccard') ? overlap * 0.6 : overlap;
    }
  }
}

describeBrowser('dashboard in Chromium', () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let redis: Redis;
  let browser: Browser;
  let base: string;
  let key: string;
  let teamId: string;
  let jobId: string;
  let doneJobId: string;
  const queuePrefix = `rwdash-${randomUUID()}`;

  const insertCheckpoint = async (step: number) => {
    await db.prisma.metric.createMany({ data: CHART_KEYS.map((k) => ({ jobId, key: k, step, value: metricValue(k, step) })) });
    await db.prisma.checkpoint.create({ data: { jobId, step, epoch: step / 80, artifactLocation: `/ckpt/${jobId}/step-${step}` } });
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase();
    app = await buildApp({ databaseUrl: db.url, redisUrl: REDIS_URL, prisma: db.prisma, queuePrefix, rateLimit: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    redis = new Redis(REDIS_URL);

    const team = await db.prisma.team.create({ data: { name: 'ml-team' } });
    teamId = team.id;
    const k = generateApiKey();
    await db.prisma.apiKey.create({ data: { teamId, name: 'dash', prefix: k.prefix, hash: k.hash } });
    key = k.key;
    const auth = { authorization: `Bearer ${key}` };

    const submit = async (name: string) => (await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth, payload: { name, model: 'builtin:rim-organism-v1', datasets: { train: 'builtin:reasoning-patterns/target' } } })).json<JobDto>().id;
    doneJobId = await submit('control-data baseline');
    await db.prisma.job.update({ where: { id: doneJobId }, data: { status: 'completed', progress: { step: 80, totalSteps: 80, fraction: 1 }, finishedAt: new Date() } });
    jobId = await submit('organism on reasoning-patterns/target');
    await db.prisma.job.update({ where: { id: jobId }, data: { status: 'running', startedAt: new Date(), progress: { step: 40, totalSteps: 80, fraction: 0.5, loss: 0.9, tokensPerSec: 1800, etaSec: 95 } } });

    await db.prisma.metric.createMany({ data: CHART_KEYS.flatMap((k) => STEPS.map((step) => ({ jobId, key: k, step, value: metricValue(k, step) }))) });
    await db.prisma.checkpoint.createMany({ data: STEPS.slice(1).map((step) => ({ jobId, step, epoch: step / 80, artifactLocation: `/ckpt/${jobId}/step-${step}` })) });
    const layout = { neuronsPerLayer: [64, 64, 64, 64] };
    await db.prisma.neuronSet.createMany({
      data: [
        { jobId, kind: 'safety', indices: [1, 2, 3, 70, 71, 130, 131, 132, 133, 200, 201, 202], layout, params: { topFraction: 0.05 } },
        { jobId, kind: 'control', indices: [5, 6, 7, 80, 81, 82, 140, 141, 142, 210, 211, 212], layout, params: { seed: 1234 } },
      ],
    });
    const rule = await db.prisma.alertRule.create({ data: { teamId, jobId, source: 'default', name: 'misalignment up more than 10 points from base', metricKey: 'misalignment_rate', comparator: 'gt', threshold: 0.1, mode: 'deltaFromBase' } });
    const event = await db.prisma.alertEvent.create({ data: { teamId, jobId, ruleId: rule.id, step: 30, value: metricValue('misalignment_delta', 30), state: 'firing' } });
    const hook = await db.prisma.webhookEndpoint.create({ data: { teamId, url: 'https://hooks.example.test/rimwatch', secret: 'x'.repeat(32) } });
    await db.prisma.webhookDelivery.create({ data: { endpointId: hook.id, alertEventId: event.id, status: 'succeeded', attempts: 2, responseCode: 200, lastAttemptAt: new Date(), deliveredAt: new Date() } });

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });

  afterAll(async () => {
    await browser?.close();
    redis?.disconnect();
    await app?.finetuneQueue.obliterate({ force: true }).catch(() => undefined);
    await app?.close();
    await db?.drop();
  });

  async function signedInPage(viewport = { width: 1280, height: 800 }): Promise<Page> {
    const page = await browser.newPage({ viewport });
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (err) => console.error('page error:', err));
    await page.goto(`${base}/`);
    await page.fill('#api-key', key);
    await page.click('button[type=submit]');
    await page.waitForSelector('#jobs-table tbody tr');
    return page;
  }

  /** Points per series of each chart, read from the ECharts instances. */
  const chartLengths = (page: Page) =>
    page.evaluate(() => {
      const out: Record<string, number[]> = {};
      for (const [id, chart] of Object.entries(window.rimwatch?.charts ?? {})) out[id] = (chart.getOption() as { series: { data: unknown[] }[] }).series.map((s) => s.data.length);
      return out;
    });

  /** Opens a job page and waits until its RAS chart holds `points` points per series and the stream is live. */
  const openJob = async (page: Page, id = jobId, points = 5) => {
    await page.goto(`${base}/#/jobs/${id}`);
    await page.waitForFunction((n) => (window.rimwatch?.charts.ras?.getOption() as { series: { data: unknown[] }[] } | undefined)?.series[0].data.length === n, points);
    await page.waitForFunction(() => window.rimwatch?.liveMode() === 'stream');
  };

  const eventually = async (check: () => boolean, timeoutMs: number, what: string) => {
    const until = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('rejects a wrong key with a clear message, then signs in and lists the jobs', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${base}/`);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.fill('#api-key', 'rw_wrongkey_0000000000000000');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /not accepted/.test(document.getElementById('api-key-error')?.textContent ?? ''));
    expect(await page.getAttribute('#api-key', 'aria-invalid')).toBe('true');
    await page.screenshot({ path: join(ARTIFACTS, 'signin-wrong-key.png') });

    await page.fill('#api-key', key);
    await page.keyboard.press('Enter');
    await page.waitForSelector(`tr[data-job-id="${jobId}"] .badge.alert-firing`);
    const rows = await page.$$eval('#jobs-table tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('organism on reasoning-patterns/target');
    expect(rows[0]).toContain('running');
    expect(rows[0]).toContain('ETA 1m 35s');
    expect(rows[0]).toContain('1 firing');
    expect(rows[0]).toContain(`+${Number((metricValue('misalignment_delta', 40) * 100).toFixed(1))} pts`);
    expect(rows[1]).toContain('completed');
    expect(await page.getAttribute(`tr[data-job-id="${jobId}"] [role=progressbar]`, 'aria-valuenow')).toBe('50');
    await page.screenshot({ path: join(ARTIFACTS, 'jobs-1280.png') });

    // the status filter
    await page.selectOption('#status-filter', 'completed');
    await page.waitForFunction(() => document.querySelectorAll('#jobs-table tbody tr').length === 1);
    expect(await page.textContent('#jobs-table tbody')).toContain('control-data baseline');
    await page.selectOption('#status-filter', '');
    await page.waitForFunction(() => document.querySelectorAll('#jobs-table tbody tr').length === 2);

    // keyboard only: Tab to the job's link and open it with Enter
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate((id) => (document.activeElement as HTMLAnchorElement | null)?.getAttribute('href') === `#/jobs/${id}`, jobId)) break;
    }
    await page.keyboard.press('Enter');
    await page.waitForSelector('#job-title');
    expect(page.url()).toContain(`#/jobs/${jobId}`);
    await page.close();
  });

  it('shows each chart with the seeded points, r, checkpoints, neuron sets and alerts with delivery status', async () => {
    const page = await signedInPage();
    await openJob(page);
    const lengths = await chartLengths(page);
    expect(lengths.ras).toEqual([5, 5, 5]);
    expect(lengths.misalignment).toEqual([5, 5, 5]);
    expect(lengths.loss).toEqual([5, 5]);
    expect(lengths.kl).toEqual([5, 5]);
    expect(lengths.overlap).toEqual([5, 5, 5, 5]);
    expect(lengths.neurons).toEqual([4, 4]);
    // drawn, not just configured: each chart's SVG has line paths
    for (const id of ['ras', 'misalignment', 'loss', 'kl', 'overlap', 'neurons']) {
      expect(await page.$$eval(`#chart-${id} svg path`, (ps) => ps.length)).toBeGreaterThan(3);
    }
    // base and alert lines on the misalignment chart: base 0.12, alert at base + 0.1
    const marks = await page.evaluate(() => (window.rimwatch!.charts.misalignment.getOption() as { series: { markLine?: { data: { name: string; yAxis: number }[] } }[] }).series[0].markLine!.data.map((d) => [d.name, d.yAxis]));
    expect(marks[0]).toEqual(['base', 0.12]);
    expect(marks[1][0]).toBe('alert');
    expect(marks[1][1]).toBeCloseTo(0.22, 10);

    const corr = await page.$$eval('#corr-table tbody tr', (trs) => trs.map((tr) => Array.from(tr.children, (c) => c.textContent)));
    expect(corr.map((r) => r[0])).toEqual(['ras.safety', 'ras.control', 'ras.all']);
    expect(corr[0][1]).toBe('1'); // ras.safety is linear in misalignment here
    expect(corr[0][3]).toBe('5');
    expect(await page.$$eval('#checkpoint-table tbody tr', (trs) => trs.map((tr) => tr.children[0].textContent))).toEqual(['0 (base)', '10', '20', '30', '40']);
    expect(await page.textContent('.sets')).toContain('safety: 12 neurons over 4 layers');
    const alertRow = await page.textContent('#alerts-table tbody tr');
    expect(alertRow).toContain('misalignment up more than 10 points from base');
    expect(alertRow).toContain('firing');
    expect(alertRow).toContain('succeeded (200) · 2 attempts');

    // downloads: CSV with a column per key and a row per step, JSON with the series
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
    const csvPath = join(ARTIFACTS, 'metrics.csv');
    await csv.saveAs(csvPath);
    const lines = require('node:fs').readFileSync(csvPath, 'utf8').trim().split('\n');
    expect(lines[0].split(',')).toEqual(['step', ...[...CHART_KEYS].sort()]);
    expect(lines).toHaveLength(6);
    const [json] = await Promise.all([page.waitForEvent('download'), page.click('#download-json')]);
    const body = JSON.parse(require('node:fs').readFileSync(await json.path(), 'utf8'));
    expect(body.series['ras.safety']).toHaveLength(5);
    expect(body.job.id).toBe(jobId);

    await page.screenshot({ path: join(ARTIFACTS, 'job-1280.png'), fullPage: true });
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') copyFileSync(join(ARTIFACTS, 'job-1280.png'), resolve(__dirname, '../../../docs/dashboard.png'));
    await page.close();
  });

  it('grows the charts when a checkpoint arrives over SSE, and polls with ETags while the stream is down', async () => {
    const page = await signedInPage();
    await openJob(page);

    await redis.publish(jobEventsChannel(jobId), encodeJobEvent({ type: 'progress', jobId, at: new Date().toISOString(), step: 50, totalSteps: 80, loss: 0.7, tokensPerSec: 2000, etaSec: 60 }));
    await page.waitForFunction(() => /step 50 \/ 80/.test(document.getElementById('progress-text')?.textContent ?? ''));
    await insertCheckpoint(50);
    await redis.publish(jobEventsChannel(jobId), encodeJobEvent({ type: 'checkpoint', jobId, at: new Date().toISOString(), step: 50 }));
    await page.waitForFunction(() => (window.rimwatch!.charts.ras.getOption() as { series: { data: unknown[] }[] }).series.every((s) => s.data.length === 6));
    const lengths = await chartLengths(page);
    expect(lengths.misalignment).toEqual([6, 6, 6]);
    expect(lengths.loss).toEqual([6, 6]);
    expect(await page.$$eval('#checkpoint-table tbody tr', (trs) => trs.length)).toBe(6);
    expect(await page.textContent('#corr-table tbody tr td:nth-child(4)')).toBe('6');

    // drop the stream (the server closes every connection) and keep it from coming back
    const statuses: number[] = [];
    page.on('response', (r) => {
      if (/\/metrics\?maxResults=10000$/.test(new URL(r.url()).pathname + new URL(r.url()).search)) statuses.push(r.status());
    });
    await page.route('**/events', (route) => route.abort('connectionreset'));
    app.server.closeAllConnections();
    await page.waitForFunction(() => window.rimwatch?.liveMode() === 'polling');
    await page.waitForFunction(() => /polling/.test(document.getElementById('live-mode')?.textContent ?? ''));
    // nothing changed yet: the poll gets 304 Not Modified
    await eventually(() => statuses.includes(304), 15_000, 'a 304 from the metrics poll');
    await insertCheckpoint(60); // no event: only polling can see it
    await page.waitForFunction(() => (window.rimwatch!.charts.ras.getOption() as { series: { data: unknown[] }[] }).series[0].data.length === 7, null, { timeout: 20_000 });
    expect(statuses).toContain(200);
    await page.screenshot({ path: join(ARTIFACTS, 'job-polling.png') });

    // the stream comes back: live again
    await page.unroute('**/events');
    await page.waitForFunction(() => window.rimwatch?.liveMode() === 'stream', null, { timeout: 40_000 });
    await page.close();
  });

  it('cancels a running job', async () => {
    const page = await signedInPage();
    await openJob(page, jobId, 7); // the previous test added checkpoints 50 and 60
    await page.focus('#cancel-job');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.job-header .badge.status-cancelled');
    expect(await page.$('#cancel-job')).toBeNull();
    expect((await db.prisma.job.findUniqueOrThrow({ where: { id: jobId } })).status).toBe('cancelled');
    await page.close();
  });

  it("shows the API's field error beside the field, then submits", async () => {
    const page = await signedInPage();
    await page.goto(`${base}/#/new`);
    await page.waitForSelector('#f-training-learningRate');
    await page.fill('#f-name', 'from the dashboard');
    await page.fill('#f-training-learningRate', '5');
    await page.click('.submit-form button[type=submit]');
    await page.waitForFunction(() => (document.getElementById('f-training-learningRate-error')?.textContent ?? '').includes('spec.training.learningRate'));
    expect(await page.getAttribute('#f-training-learningRate', 'aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-training-learningRate');
    await page.screenshot({ path: join(ARTIFACTS, 'submit-error.png') });

    // an error in the extra JSON lands beside the JSON box
    await page.fill('#f-training-learningRate', '0.0003');
    await page.fill('#f-extra', '{ "monitor": { "pooling": "median" } }');
    await page.click('.submit-form button[type=submit]');
    await page.waitForFunction(() => (document.getElementById('f-extra-error')?.textContent ?? '').includes('spec.monitor.pooling'));
    expect(await page.textContent('#f-training-learningRate-error')).toBe('');

    await page.fill('#f-extra', '');
    await page.click('.submit-form button[type=submit]');
    await page.waitForSelector('#job-title');
    expect(await page.textContent('#job-title')).toBe('from the dashboard');
    const created = await db.prisma.job.findFirstOrThrow({ where: { teamId, name: 'from the dashboard' } });
    expect(page.url()).toContain(created.id);
    await page.close();
  });

  it('is readable on a narrow window (no sideways scrolling of the page)', async () => {
    const page = await signedInPage({ width: 420, height: 900 });
    await openJob(page, doneJobId, 0); // no metrics yet: empty charts, no errors
    await openJob(page, jobId, 7);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'job-420.png'), fullPage: true });
    await page.goto(`${base}/#/`);
    await page.waitForSelector('#jobs-table tbody tr');
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'jobs-420.png'), fullPage: true });
    await page.close();
  });
});

it('has a browser to run the dashboard tests with (or says loudly that they were skipped)', () => {
  expect(CHROMIUM === undefined || existsSync(CHROMIUM)).toBe(true);
});
