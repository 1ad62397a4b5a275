/** Jobs list: status filter, progress with ETA, latest misalignment change and RAS ratio, alert badge; refreshed every few seconds. */
import type { JobDto, JobStatus } from '@rimwatch/contracts';
import { METRIC } from '@rimwatch/pipeline/src/metric-keys';
import { api, isUnauthorized, type AlertEventDto } from '../api';
import { announce, clear, h, progressBar, statusBadge } from '../dom';
import { JOB_STATUSES, fmt, fmtDuration, fmtSigned, isTerminal, latest, progressFraction } from '../lib';

const REFRESH_MS = 4000;
const LIST_KEYS = [METRIC.misalignmentDelta, METRIC.rasRatio];
const COLUMNS = ['Name', 'Status', 'Progress', 'Misalignment Δ', 'RAS ratio', 'Alerts', 'Created'];

interface RowState {
  row: HTMLTableRowElement;
  etag?: string;
  mis?: number;
  ratio?: number;
}

/** Per job, the rules whose latest event is `firing`, and how many events in all. */
export function alertSummary(events: AlertEventDto[]): Map<string, { firing: number; total: number }> {
  const latestByRule = new Map<string, AlertEventDto>();
  const out = new Map<string, { firing: number; total: number }>();
  for (const e of events) {
    const k = `${e.jobId}|${e.ruleId}`;
    const prev = latestByRule.get(k);
    if (!prev || e.step > prev.step || (e.step === prev.step && e.createdAt > prev.createdAt)) latestByRule.set(k, e);
    const s = out.get(e.jobId) ?? { firing: 0, total: 0 };
    s.total++;
    out.set(e.jobId, s);
  }
  for (const e of latestByRule.values()) if (e.state === 'firing') out.get(e.jobId)!.firing++;
  return out;
}

export function renderJobs(root: HTMLElement, onUnauthorized: () => void): () => void {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  let filter = (params.get('status') ?? '') as JobStatus | '';
  const select = h('select', { id: 'status-filter' }, h('option', { value: '' }, 'all'), JOB_STATUSES.map((s) => h('option', { value: s, selected: s === filter }, s)));
  const tbody = h('tbody');
  const empty = h('p', { class: 'empty', hidden: true }, 'No jobs yet. ', h('a', { href: '#/new' }, 'Submit one'), '.');
  const updated = h('span', { class: 'muted', 'aria-live': 'off' });
  root.replaceChildren(
    h(
      'section',
      { 'aria-labelledby': 'jobs-title' },
      h('div', { class: 'toolbar' }, h('h1', { id: 'jobs-title' }, 'Jobs'), h('label', { for: 'status-filter', class: 'inline' }, 'Status ', select), h('a', { class: 'button', href: '#/new' }, 'New job'), updated),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'jobs', id: 'jobs-table' },
          h('caption', { class: 'sr-only' }, 'Fine-tuning jobs, newest first'),
          h('thead', {}, h('tr', {}, COLUMNS.map((t) => h('th', { scope: 'col' }, t)))),
          tbody,
        ),
      ),
      empty,
    ),
  );

  const rows = new Map<string, RowState>();
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function renderRow(st: RowState, job: JobDto, alerts: { firing: number; total: number } | undefined) {
    const frac = progressFraction(job.progress, job.status);
    const eta = job.progress?.etaSec;
    const running = job.status === 'running';
    const cells = [
      h('a', { href: `#/jobs/${job.id}`, class: 'job-link' }, job.name),
      statusBadge(job.status),
      h('div', { class: 'progress-cell' }, progressBar(frac, `progress of ${job.name}`), running && eta != null ? h('span', { class: 'muted' }, `ETA ${fmtDuration(eta)}`) : null),
      h('span', { class: st.mis !== undefined && st.mis > 0.1 ? 'bad' : '' }, st.mis === undefined ? '–' : `${fmtSigned(st.mis * 100, 1)} pts`),
      h('span', { class: st.ratio !== undefined && st.ratio > 3 ? 'bad' : '' }, fmt(st.ratio, 2)),
      alerts ? h('span', { class: `badge ${alerts.firing ? 'alert-firing' : 'alert-resolved'}`, title: `${alerts.total} alert events` }, alerts.firing ? `${alerts.firing} firing` : 'resolved') : h('span', { class: 'muted' }, 'none'),
      h('time', { datetime: job.createdAt }, new Date(job.createdAt).toLocaleString()),
    ];
    const tds = st.row.children;
    if (tds.length !== cells.length) {
      // data-label: the column name shown beside each value when the table becomes cards on narrow windows
      clear(st.row, cells.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c) : h('td', { 'data-label': COLUMNS[i] }, c))));
      return;
    }
    // update in place; the link cell is only touched when the name changed, so keyboard focus stays on it
    const link = tds[0].querySelector('a');
    if (link && link.textContent !== job.name) link.textContent = job.name;
    for (let i = 1; i < cells.length; i++) clear(tds[i], cells[i]);
  }

  async function refresh() {
    try {
      const [list, events] = await Promise.all([api.listJobs(filter), api.teamAlerts()]);
      if (stopped) return;
      const summary = alertSummary(events);
      const seen = new Set<string>();
      const order: HTMLTableRowElement[] = [];
      await Promise.all(
        list.items.map(async (job) => {
          let st = rows.get(job.id);
          if (!st) rows.set(job.id, (st = { row: h('tr', { 'data-job-id': job.id }) }));
          seen.add(job.id);
          // the latest misalignment change and RAS ratio: maxPoints=2 keeps the first and the last point
          if (st.etag === undefined || !isTerminal(job.status)) {
            const m = await api.metrics(job.id, { keys: LIST_KEYS, maxPoints: 2, etag: st.etag }).catch(() => undefined);
            if (m && !m.notModified) {
              st.etag = m.etag ?? undefined;
              st.mis = latest(m.series.find((s) => s.key === METRIC.misalignmentDelta)?.points)?.value;
              st.ratio = latest(m.series.find((s) => s.key === METRIC.rasRatio)?.points)?.value;
            }
          }
          renderRow(st, job, summary.get(job.id));
        }),
      );
      if (stopped) return;
      for (const job of list.items) order.push(rows.get(job.id)!.row);
      for (const [id, st] of rows) if (!seen.has(id)) (st.row.remove(), rows.delete(id));
      // re-append only when the order changed (keeps focus)
      if (order.some((r, i) => tbody.children[i] !== r)) tbody.replaceChildren(...order);
      empty.hidden = list.items.length > 0;
      updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      if (isUnauthorized(err)) return onUnauthorized();
      announce(`Could not load jobs: ${(err as Error).message}`, 'error');
    } finally {
      if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
    }
  }

  select.addEventListener('change', () => {
    filter = select.value as JobStatus | '';
    history.replaceState(null, '', filter ? `#/?status=${filter}` : '#/');
    if (timer) clearTimeout(timer);
    tbody.replaceChildren();
    rows.clear();
    void refresh();
  });
  void refresh();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
