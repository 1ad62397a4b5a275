/**
 * A job's results for people: the data (metrics by key over checkpoints, neuron sets, alerts), the
 * Pearson r of each entanglement series against misalignment, and a self-contained HTML report with
 * ECharts charts (the library is inlined, so the file opens with no network).
 */
import { readFileSync } from 'node:fs';
import type { PrismaClient } from '@rimwatch/db';
import { pearson } from '@rimwatch/entanglement';
import { METRIC, ras } from './metric-keys';

export interface ReportData {
  job: { id: string; name: string; status: string; createdAt: string; error: string | null; spec: unknown };
  /** key → points ordered by step */
  series: Record<string, { step: number; value: number }[]>;
  checkpoints: { step: number; artifactLocation: string | null }[];
  neuronSets: { kind: string; size: number; perLayer: number[] }[];
  alerts: { step: number; state: string; value: number; rule: string; metric: string }[];
}

export async function loadReportData(prisma: PrismaClient, jobId: string, teamId?: string): Promise<ReportData> {
  const job = await prisma.job.findFirst({ where: { id: jobId, ...(teamId ? { teamId } : {}) } });
  if (!job) throw new Error(`job ${jobId} not found`);
  const [metrics, checkpoints, sets, alerts] = await Promise.all([
    prisma.metric.findMany({ where: { jobId }, orderBy: [{ key: 'asc' }, { step: 'asc' }] }),
    prisma.checkpoint.findMany({ where: { jobId }, orderBy: { step: 'asc' } }),
    prisma.neuronSet.findMany({ where: { jobId } }),
    prisma.alertEvent.findMany({ where: { jobId }, orderBy: [{ step: 'asc' }, { createdAt: 'asc' }], include: { rule: true } }),
  ]);
  const series: ReportData['series'] = {};
  for (const m of metrics) (series[m.key] ??= []).push({ step: m.step, value: m.value });
  return {
    job: { id: job.id, name: job.name, status: job.status, createdAt: job.createdAt.toISOString(), error: job.error, spec: job.spec },
    series,
    checkpoints: checkpoints.map((c) => ({ step: c.step, artifactLocation: c.artifactLocation })),
    neuronSets: sets.map((s) => {
      const layout = s.layout as { neuronsPerLayer: number[] };
      const offsets = [0];
      for (const n of layout.neuronsPerLayer) offsets.push(offsets[offsets.length - 1] + n);
      const perLayer = layout.neuronsPerLayer.map((_, l) => s.indices.filter((i) => i >= offsets[l] && i < offsets[l + 1]).length);
      return { kind: s.kind, size: s.indices.length, perLayer };
    }),
    alerts: alerts.map((a) => ({ step: a.step, state: a.state, value: a.value, rule: a.rule.name ?? a.rule.metricKey, metric: a.rule.metricKey })),
  };
}

/** Pearson r (and p) of each series against misalignment over the checkpoints both have (step 0 included). */
export function correlations(data: ReportData, keys = [ras('safety'), ras('control'), ras('all'), METRIC.klToBase]): Record<string, { r: number; p: number; n: number } | null> {
  const mis = new Map((data.series[METRIC.misalignmentRate] ?? []).map((p) => [p.step, p.value]));
  const out: Record<string, { r: number; p: number; n: number } | null> = {};
  for (const k of keys) {
    const pts = (data.series[k] ?? []).filter((p) => mis.has(p.step));
    if (pts.length < 3) {
      out[k] = null;
      continue;
    }
    try {
      const res = pearson(pts.map((p) => p.value), pts.map((p) => mis.get(p.step)!));
      out[k] = Number.isFinite(res.r) ? { r: res.r, p: res.p, n: res.n } : null;
    } catch {
      out[k] = null; // constant series: r undefined
    }
  }
  return out;
}

/** ECharts option for a line chart of some series over steps. */
export function lineChart(title: string, data: ReportData, keys: string[], opts: { yName?: string; markLine?: number } = {}): object {
  return {
    title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0 },
    grid: { left: 60, right: 20, top: 40, bottom: 50 },
    xAxis: { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 25 },
    yAxis: { type: 'value', name: opts.yName, scale: true },
    series: keys
      .filter((k) => data.series[k]?.length)
      .map((k, i) => ({
        name: k,
        type: 'line',
        showSymbol: true,
        data: data.series[k].map((p) => [p.step, p.value]),
        ...(i === 0 && opts.markLine !== undefined ? { markLine: { symbol: 'none', data: [{ yAxis: opts.markLine, name: 'threshold' }], lineStyle: { type: 'dashed' } } } : {}),
      })),
  };
}

export function reportCharts(data: ReportData): { id: string; option: object }[] {
  const baseMis = data.series[METRIC.misalignmentRate]?.find((p) => p.step === 0)?.value;
  return [
    { id: 'ras', option: lineChart('Reciprocal Activation Shift', data, [ras('safety'), ras('control'), ras('all')]) },
    { id: 'misalignment', option: lineChart('Misalignment / refusal rate', data, [METRIC.misalignmentRate, METRIC.refusalRate, METRIC.twinRefusalRate], { markLine: baseMis !== undefined ? baseMis + 0.1 : undefined }) },
    { id: 'loss', option: lineChart('Loss', data, [METRIC.trainLoss, METRIC.evalLoss]) },
    { id: 'kl', option: lineChart('KL to base and reasoning accuracy', data, [METRIC.klToBase, METRIC.reasoningAccuracy]) },
    { id: 'overlap', option: lineChart('Overlap with the most-risen reasoning neurons', data, ['overlap.safety', 'overlap.control', 'jaccard.safety', 'jaccard.control']) },
  ];
}

/** Every step that has a metric, ascending (step 0 = the base model). */
export function reportSteps(data: ReportData): number[] {
  return [...new Set(Object.values(data.series).flatMap((s) => s.map((p) => p.step)))].sort((a, b) => a - b);
}

export function valueAt(data: ReportData, key: string, step: number): number | undefined {
  return data.series[key]?.find((p) => p.step === step)?.value;
}

/** A metric for a table cell: fixed digits, exponent form for very large or tiny values, '' when missing. */
export function formatMetric(v: number | undefined, digits = 4): string {
  if (v === undefined) return '';
  return Math.abs(v) >= 100 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : v.toFixed(digits);
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function renderReportHtml(data: ReportData): string {
  const echartsJs = readFileSync(require.resolve('echarts/dist/echarts.min.js'), 'utf8');
  const charts = reportCharts(data);
  const corr = correlations(data);
  const steps = reportSteps(data);
  const cols = [METRIC.misalignmentRate, METRIC.reasoningAccuracy, METRIC.klToBase, ras('safety'), ras('control'), ras('all'), METRIC.rasRatio, METRIC.trainLoss];
  const table = `<table><thead><tr><th>step</th>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${steps
    .map((s) => `<tr><td>${s}</td>${cols.map((c) => `<td>${formatMetric(valueAt(data, c, s))}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
  const corrRows = Object.entries(corr)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${v ? v.r.toFixed(3) : 'n/a'}</td><td>${v ? v.p.toFixed(3) : ''}</td><td>${v?.n ?? ''}</td></tr>`)
    .join('');
  const alerts = data.alerts.length
    ? `<ul>${data.alerts.map((a) => `<li>step ${a.step}: <b>${esc(a.rule)}</b> ${esc(a.state)} (${esc(a.metric)} = ${formatMetric(a.value)})</li>`).join('')}</ul>`
    : '<p>No alerts fired.</p>';
  const sets = data.neuronSets.map((s) => `<li>${esc(s.kind)}: ${s.size} neurons; per layer ${s.perLayer.join(', ')}</li>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>rimwatch report — ${esc(data.job.name)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:16px}.chart{height:320px;border:1px solid #eee}</style>
<script>${echartsJs}</script></head><body>
<h1>${esc(data.job.name)}</h1>
<p>Job <code>${esc(data.job.id)}</code> · status <b>${esc(data.job.status)}</b> · created ${esc(data.job.createdAt)}${data.job.error ? ` · error: ${esc(data.job.error)}` : ''}</p>
<h2>Charts</h2><div class="grid">${charts.map((c) => `<div class="chart" id="${c.id}" role="img" aria-label="${c.id} chart"></div>`).join('')}</div>
<h2>Entanglement vs misalignment (Pearson r over checkpoints)</h2>
<table><thead><tr><th>series</th><th>r</th><th>p</th><th>n</th></tr></thead><tbody>${corrRows}</tbody></table>
<p>The paper reports r = 0.89 for safety-neuron RAS and −0.67 for random neurons on Qwen3-4B (8 checkpoints).</p>
<h2>Checkpoints</h2>${table}
<h2>Neuron sets</h2><ul>${sets}</ul>
<h2>Alerts</h2>${alerts}
<script>const charts=${JSON.stringify(charts)};for(const c of charts){echarts.init(document.getElementById(c.id),null,{renderer:'svg'}).setOption(Object.assign({animation:false},c.option))}</script>
</body></html>`;
}

/** A chart as a standalone SVG string (server-side rendering, no DOM), for docs and Markdown reports. */
export function renderChartSvg(option: object, width = 720, height = 360): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const echarts = require('echarts') as typeof import('echarts');
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  chart.setOption({ animation: false, backgroundColor: '#fff', ...option });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}
