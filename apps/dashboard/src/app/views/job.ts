/**
 * One job: header with progress and cancel, Pearson r of RAS vs misalignment, the five metric charts,
 * checkpoint table, neuron sets, alerts with webhook delivery status, CSV/JSON download.
 * Live: SSE events (progress → header, checkpoint → fetch the new points and append them, alert →
 * alerts table, status → header); while the stream is down, ETag polling of the metrics.
 */
import type { CheckpointDto, JobDto, JobEvent } from '@rimwatch/contracts';
import { METRIC, ras } from '@rimwatch/pipeline/src/metric-keys';
import { ApiError, api, isUnauthorized, type AlertEventDto, type DeliveryDto, type NeuronSetDto } from '../api';
import { createChart, disposeCharts, type Chart } from '../charts';
import { announce, clear, download, h, progressBar, statusBadge } from '../dom';
import { watchJob, type LiveMode } from '../live';
import {
  CHARTS,
  DEFAULT_MISALIGNMENT_RULE,
  chartOption,
  correlationsWithMisalignment,
  fmt,
  fmtDuration,
  fmtSigned,
  histogramOption,
  isTerminal,
  mergeSeries,
  misalignmentThreshold,
  progressFraction,
  seriesToCsv,
  type RuleLike,
  type SeriesMap,
} from '../lib';

/** Columns of the checkpoint table. */
const TABLE_COLS: { key: string; label: string; delta?: boolean }[] = [
  { key: METRIC.misalignmentRate, label: 'misalignment' },
  { key: METRIC.misalignmentDelta, label: 'Δ from base', delta: true },
  { key: METRIC.refusalRate, label: 'refusal' },
  { key: METRIC.reasoningAccuracy, label: 'reasoning acc.' },
  { key: METRIC.klToBase, label: 'KL to base' },
  { key: ras('safety'), label: 'RAS safety' },
  { key: ras('control'), label: 'RAS control' },
  { key: METRIC.rasRatio, label: 'RAS ratio' },
  { key: METRIC.trainLoss, label: 'train loss' },
  { key: METRIC.evalLoss, label: 'eval loss' },
];

export interface JobPageDebug {
  charts: Record<string, Chart>;
  liveMode(): LiveMode;
  series(): SeriesMap;
}

declare global {
  interface Window {
    /** read by the browser tests (chart options, live mode) */
    rimwatch?: JobPageDebug;
  }
}

export function renderJob(root: HTMLElement, jobId: string, onUnauthorized: () => void): () => void {
  let job: JobDto | undefined;
  let series: SeriesMap = {};
  let etag: string | undefined;
  let checkpoints: CheckpointDto[] = [];
  let neuronSets: NeuronSetDto[] = [];
  let alerts: AlertEventDto[] = [];
  let deliveries = new Map<string, (DeliveryDto & { url: string })[]>();
  let stopped = false;
  const charts: Record<string, Chart> = {};
  let live: ReturnType<typeof watchJob> | undefined;
  let deliveryTimer: ReturnType<typeof setInterval> | undefined;

  const header = h('header', { class: 'job-header' });
  const liveBadge = h('span', { class: 'live-badge', id: 'live-mode', role: 'status' }, 'connecting…');
  const corrBody = h('tbody');
  const ckptBody = h('tbody');
  const setsList = h('ul', { class: 'sets' });
  const histEl = h('div', { class: 'chart chart-small', id: 'chart-neurons', role: 'img', 'aria-label': 'safety and control neurons per layer' });
  const alertsBody = h('tbody');
  const alertsEmpty = h('p', { class: 'muted' }, 'No alerts fired.');
  const chartFigures = CHARTS.map((def) =>
    h(
      'figure',
      { class: 'chart-card', 'aria-labelledby': `chart-${def.id}-title` },
      h('figcaption', { id: `chart-${def.id}-title` }, def.title),
      h('div', { class: 'chart', id: `chart-${def.id}`, role: 'img', 'aria-label': `${def.title}: ${[...def.keys, ...(def.rightKeys ?? [])].join(', ')} over checkpoints (values in the checkpoint table below)` }),
    ),
  );

  root.replaceChildren(
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, '← Jobs')),
    header,
    h(
      'section',
      { 'aria-labelledby': 'corr-title', class: 'card' },
      h('h2', { id: 'corr-title' }, 'Entanglement vs misalignment'),
      h('p', { class: 'help' }, 'Pearson r of each RAS series against the misalignment rate over the checkpoints so far (step 0 included). The paper reports r ≈ 0.89 for safety-critical neurons and negative r for random control neurons.'),
      h('table', { class: 'compact', id: 'corr-table' }, h('thead', {}, h('tr', {}, ['series', 'r', 'p', 'n'].map((t) => h('th', { scope: 'col' }, t)))), corrBody),
    ),
    h('section', { 'aria-label': 'charts', class: 'charts' }, chartFigures),
    h(
      'section',
      { 'aria-labelledby': 'ckpt-title', class: 'card' },
      h('h2', { id: 'ckpt-title' }, 'Checkpoints'),
      h(
        'div',
        { class: 'table-wrap', tabindex: 0, 'aria-label': 'checkpoint table (scrolls sideways)' },
        h('table', { id: 'checkpoint-table', class: 'numeric' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'step'), TABLE_COLS.map((c) => h('th', { scope: 'col' }, c.label)), h('th', { scope: 'col' }, 'saved'))), ckptBody),
      ),
    ),
    h(
      'div',
      { class: 'two-col' },
      h('section', { 'aria-labelledby': 'sets-title', class: 'card' }, h('h2', { id: 'sets-title' }, 'Neuron sets'), setsList, histEl),
      h(
        'section',
        { 'aria-labelledby': 'alerts-title', class: 'card' },
        h('h2', { id: 'alerts-title' }, 'Alerts'),
        alertsEmpty,
        h('div', { class: 'table-wrap' }, h('table', { id: 'alerts-table', class: 'compact' }, h('thead', {}, h('tr', {}, ['step', 'rule', 'state', 'value', 'webhooks'].map((t) => h('th', { scope: 'col' }, t)))), alertsBody)),
      ),
    ),
  );

  // ---------- rendering ----------
  function renderHeader() {
    if (!job) return;
    const j = job;
    const p = j.progress;
    const frac = progressFraction(p, j.status);
    const canCancel = j.status === 'queued' || j.status === 'running';
    const cancel = canCancel ? h('button', { type: 'button', class: 'danger', id: 'cancel-job', onclick: () => void doCancel() }, 'Cancel job') : null;
    const focusedCancel = document.activeElement?.id === 'cancel-job';
    clear(
      header,
      h('div', { class: 'title-row' }, h('h1', { id: 'job-title' }, j.name), statusBadge(j.status), liveBadge),
      h('p', { class: 'meta' }, h('code', {}, j.id), ` · model ${j.spec?.model ?? '?'} · train ${j.spec?.datasets?.train ?? '?'} · created ${new Date(j.createdAt).toLocaleString()}`),
      j.error ? h('p', { class: 'error-text', role: 'alert' }, `Error: ${j.error}`) : null,
      h(
        'div',
        { class: 'progress-row' },
        progressBar(frac, 'training progress'),
        h(
          'span',
          { class: 'muted', id: 'progress-text' },
          p?.step !== undefined ? `step ${p.step}${p.totalSteps ? ` / ${p.totalSteps}` : ''}` : '',
          p?.loss != null ? ` · loss ${fmt(p.loss)}` : '',
          p?.tokensPerSec ? ` · ${fmt(p.tokensPerSec, 0)} tokens/s` : '',
          j.status === 'running' && p?.etaSec != null ? ` · ETA ${fmtDuration(p.etaSec)}` : '',
        ),
      ),
      h(
        'div',
        { class: 'actions' },
        cancel,
        h('button', { type: 'button', id: 'download-csv', onclick: () => download(`${j.id}-metrics.csv`, 'text/csv', seriesToCsv(series)) }, 'Download CSV'),
        h('button', { type: 'button', id: 'download-json', onclick: () => download(`${j.id}-metrics.json`, 'application/json', JSON.stringify({ job: j, checkpoints, series }, null, 2)) }, 'Download JSON'),
      ),
    );
    if (focusedCancel) (document.getElementById('cancel-job') ?? document.getElementById('download-csv'))?.focus();
  }

  function rules(): RuleLike[] {
    const specRules = (job?.spec?.alerts ?? []) as RuleLike[];
    return [DEFAULT_MISALIGNMENT_RULE, ...specRules];
  }

  function renderCharts() {
    const base = series[METRIC.misalignmentRate]?.find((p) => p.step === 0)?.value;
    const ctx = { base, threshold: misalignmentThreshold(rules(), base) };
    for (const def of CHARTS) {
      const el = document.getElementById(`chart-${def.id}`);
      if (!el) continue;
      charts[def.id] ??= createChart(el);
      charts[def.id].setOption(chartOption(def, series, ctx));
    }
    clear(
      corrBody,
      correlationsWithMisalignment(series).map((c) => h('tr', {}, h('th', { scope: 'row' }, c.key), h('td', { class: c.r !== null && c.r > 0.5 ? 'bad' : '' }, c.r === null ? 'n/a' : fmt(c.r, 3)), h('td', {}, fmt(c.p, 3)), h('td', {}, c.n))),
    );
    renderCheckpointTable();
  }

  function renderCheckpointTable() {
    const saved = new Map(checkpoints.map((c) => [c.step, c]));
    const steps = [...new Set([...checkpoints.map((c) => c.step), ...TABLE_COLS.flatMap((c) => (series[c.key] ?? []).map((p) => p.step))])].sort((a, b) => a - b);
    const val = (k: string, s: number) => series[k]?.find((p) => p.step === s)?.value;
    clear(
      ckptBody,
      steps.map((s) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, s === 0 ? '0 (base)' : s),
          TABLE_COLS.map((c) => h('td', {}, c.delta ? fmtSigned(val(c.key, s)) : fmt(val(c.key, s)))),
          h('td', { title: saved.get(s)?.artifactLocation ?? '' }, saved.has(s) ? new Date(saved.get(s)!.createdAt).toLocaleTimeString() : '–'),
        ),
      ),
    );
  }

  function renderSets() {
    clear(
      setsList,
      neuronSets.length
        ? neuronSets.map((s) => h('li', {}, h('strong', {}, s.kind), `: ${s.size} neurons over ${s.neuronsPerLayer.length} layers (${s.neuronsPerLayer.reduce((a, b) => a + b, 0)} MLP neurons in all)`))
        : h('li', { class: 'muted' }, 'Not identified yet (they are computed on the base model before training).'),
    );
    histEl.hidden = neuronSets.length === 0;
    if (neuronSets.length) {
      charts.neurons ??= createChart(histEl);
      charts.neurons.setOption(histogramOption(neuronSets));
    }
  }

  function renderAlerts() {
    alertsEmpty.hidden = alerts.length > 0;
    clear(
      alertsBody,
      alerts.map((a) => {
        const ds = deliveries.get(a.id) ?? [];
        return h(
          'tr',
          { 'data-alert-id': a.id },
          h('td', {}, a.step),
          h('th', { scope: 'row' }, a.rule.name),
          h('td', {}, h('span', { class: `badge alert-${a.state}` }, a.state)),
          h('td', {}, fmt(a.value)),
          h(
            'td',
            {},
            ds.length
              ? ds.map((d) => h('div', { class: `delivery delivery-${d.status}`, title: d.url }, `${d.status}${d.responseCode ? ` (${d.responseCode})` : ''} · ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}${d.error ? ` · ${d.error}` : ''}`))
              : h('span', { class: 'muted' }, 'no webhooks'),
          ),
        );
      }),
    );
  }

  // ---------- data ----------
  const guard = async <T>(p: Promise<T>, what: string): Promise<T | undefined> => {
    try {
      return await p;
    } catch (err) {
      if (isUnauthorized(err)) {
        onUnauthorized();
        return undefined;
      }
      announce(`Could not load ${what}: ${(err as Error).message}`, 'error');
      return undefined;
    }
  };

  async function loadMetrics(full: boolean, sinceStep?: number) {
    const m = await api.metrics(jobId, full ? { etag } : { sinceStep });
    if (stopped || m.notModified) return false;
    if (full) {
      etag = m.etag ?? undefined;
      series = mergeSeries({}, m.series);
    } else series = mergeSeries(series, m.series);
    renderCharts();
    return true;
  }

  async function loadAlerts() {
    const [a, d] = await Promise.all([api.jobAlerts(jobId), api.deliveriesByAlert().catch(() => deliveries)]);
    if (stopped) return;
    alerts = a;
    deliveries = d;
    renderAlerts();
    // deliveries still retrying: look again until they settle
    const pending = [...deliveries.values()].flat().some((x) => x.status === 'pending');
    if (pending && !deliveryTimer) deliveryTimer = setInterval(() => void guard(loadAlerts(), 'alerts'), 5000);
    if (!pending && deliveryTimer) (clearInterval(deliveryTimer), (deliveryTimer = undefined));
  }

  async function loadCheckpoints() {
    const c = await api.checkpoints(jobId);
    if (stopped) return;
    checkpoints = c;
    renderCheckpointTable();
  }

  async function doCancel() {
    if (!job) return;
    const btn = document.getElementById('cancel-job') as HTMLButtonElement | null;
    if (btn) btn.disabled = true;
    try {
      job = await api.cancelJob(jobId);
      announce('Job cancelled.');
    } catch (err) {
      if (isUnauthorized(err)) return onUnauthorized();
      announce(err instanceof ApiError && err.status === 409 ? `Cannot cancel: ${err.message}` : `Cancel failed: ${(err as Error).message}`, 'error');
      job = (await guard(api.getJob(jobId), 'job')) ?? job;
    }
    renderHeader();
    document.getElementById('download-csv')?.focus();
  }

  function onEvent(e: JobEvent) {
    if (stopped || !job) return;
    switch (e.type) {
      case 'status':
        if (job.status !== e.status) {
          job = { ...job, status: e.status, error: e.error ?? job.error };
          renderHeader();
          announce(`Job is ${e.status}.`);
          if (isTerminal(e.status)) void guard(api.getJob(jobId), 'job').then((j) => j && ((job = j), renderHeader()));
        }
        break;
      case 'progress':
        job = { ...job, status: job.status === 'queued' ? 'running' : job.status, progress: { ...(job.progress ?? {}), step: e.step, totalSteps: e.totalSteps, fraction: e.totalSteps ? e.step / e.totalSteps : undefined, loss: e.loss, tokensPerSec: e.tokensPerSec, etaSec: e.etaSec } };
        renderHeader();
        break;
      case 'checkpoint':
        // fetch only the new checkpoint's points and append them (a re-run step is rewritten in place)
        void guard(loadMetrics(false, e.step), 'metrics');
        void guard(loadCheckpoints(), 'checkpoints');
        if (!neuronSets.length) void guard(api.neuronSets(jobId), 'neuron sets').then((s) => s && ((neuronSets = s), renderSets()));
        break;
      case 'alert':
        announce(`Alert ${e.state}: ${e.message}`, e.state === 'firing' ? 'error' : 'info');
        void guard(loadAlerts(), 'alerts');
        break;
    }
  }

  async function poll() {
    const changed = await loadMetrics(true);
    const j = await api.getJob(jobId);
    if (stopped) return;
    job = j;
    renderHeader();
    if (changed) await Promise.all([loadCheckpoints(), loadAlerts()]);
  }

  async function init() {
    try {
      job = await api.getJob(jobId);
    } catch (err) {
      if (isUnauthorized(err)) return onUnauthorized();
      clear(root, h('p', { class: 'crumbs' }, h('a', { href: '#/' }, '← Jobs')), h('p', { class: 'error-text', role: 'alert' }, err instanceof ApiError && err.status === 404 ? 'No such job (or it belongs to another team).' : `Could not load the job: ${(err as Error).message}`));
      return;
    }
    if (stopped) return;
    document.title = `${job.name} · rimwatch`;
    renderHeader();
    await Promise.all([
      guard(loadMetrics(true), 'metrics'),
      guard(loadCheckpoints(), 'checkpoints'),
      guard(api.neuronSets(jobId), 'neuron sets').then((s) => s && ((neuronSets = s), renderSets())),
      guard(loadAlerts(), 'alerts'),
    ]);
    if (stopped) return;
    live = watchJob(jobId, {
      onEvent,
      onPoll: poll,
      onMode: (m) => {
        liveBadge.textContent = m === 'stream' ? '● live' : m === 'polling' ? '◌ polling (stream down)' : m;
        liveBadge.className = `live-badge live-${m}`;
      },
      onFatal: (status) => (status === 401 ? onUnauthorized() : announce('The job is gone.', 'error')),
    });
  }

  window.rimwatch = { charts, liveMode: () => live?.mode() ?? 'connecting', series: () => series };
  void init();
  return () => {
    stopped = true;
    live?.close();
    if (deliveryTimer) clearInterval(deliveryTimer);
    disposeCharts();
    document.title = 'rimwatch';
  };
}
