/**
 * Pure helpers of the dashboard (no DOM, no network), unit-tested in Node:
 * SSE parsing, merging metric points, Pearson r against misalignment, CSV, formatting, chart options.
 */
import { pearson } from '@rimwatch/entanglement/src/correlation';
import type { JobStatus } from '@rimwatch/contracts';
import { METRIC, ras } from '@rimwatch/pipeline/src/metric-keys';

// Job statuses, kept here so the bundle does not pull contracts' runtime (TypeBox); the Record type
// makes the compiler reject this list when contracts adds or drops a status.
const STATUS_FLAGS: Record<JobStatus, { terminal: boolean }> = {
  queued: { terminal: false },
  running: { terminal: false },
  completed: { terminal: true },
  failed: { terminal: true },
  cancelled: { terminal: true },
  diverged: { terminal: true },
};
export const JOB_STATUSES = Object.keys(STATUS_FLAGS) as JobStatus[];
export const isTerminal = (s: JobStatus) => STATUS_FLAGS[s]?.terminal ?? false;

export type Point = { step: number; value: number };
export type SeriesMap = Record<string, Point[]>;

// ---------- Server-Sent Events ----------
export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/**
 * Incremental text/event-stream parser (the WHATWG rules: lines end in \n, \r\n or \r; `:` starts a
 * comment; a blank line dispatches). Needed because EventSource cannot send an Authorization header,
 * so the dashboard reads the stream with fetch() and parses it here.
 */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;
  /** last `retry:` value in ms, if the server sent one */
  retryMs: number | undefined;

  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const out: SseMessage[] = [];
    for (;;) {
      const m = /\r\n|\n|\r/.exec(this.buffer);
      if (!m) break;
      // a lone \r at the very end may be the first half of \r\n: wait for more
      if (m[0] === '\r' && m.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      this.line(line, out);
    }
    return out;
  }

  private line(line: string, out: SseMessage[]): void {
    if (line === '') {
      if (this.data.length) out.push({ event: this.event || 'message', data: this.data.join('\n'), ...(this.id !== undefined ? { id: this.id } : {}) });
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id') this.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
  }
}

// ---------- metric series ----------
/** Upserts `incoming` into `existing` by step (a re-run checkpoint rewrites its point); result sorted by step. */
export function mergePoints(existing: readonly Point[], incoming: readonly Point[]): Point[] {
  const byStep = new Map(existing.map((p) => [p.step, p.value]));
  for (const p of incoming) byStep.set(p.step, p.value);
  return [...byStep.entries()].sort((a, b) => a[0] - b[0]).map(([step, value]) => ({ step, value }));
}

export function mergeSeries(into: SeriesMap, incoming: { key: string; points: Point[] }[]): SeriesMap {
  const out: SeriesMap = { ...into };
  for (const s of incoming) out[s.key] = mergePoints(out[s.key] ?? [], s.points);
  return out;
}

export const latest = (points: readonly Point[] | undefined): Point | undefined => (points && points.length ? points[points.length - 1] : undefined);
export const maxStep = (series: SeriesMap): number => Math.max(-1, ...Object.values(series).flatMap((s) => s.map((p) => p.step)));

export const RAS_KEYS = [ras('safety'), ras('control'), ras('all')] as const;

export interface Correlation {
  key: string;
  r: number | null;
  p: number | null;
  n: number;
}

/** Pearson r of each RAS series against misalignment over the checkpoints both have so far (null below 3 points or for a constant series). */
export function correlationsWithMisalignment(series: SeriesMap, keys: readonly string[] = RAS_KEYS): Correlation[] {
  const mis = new Map((series[METRIC.misalignmentRate] ?? []).map((p) => [p.step, p.value]));
  return keys.map((key) => {
    const pts = (series[key] ?? []).filter((p) => mis.has(p.step) && Number.isFinite(p.value));
    if (pts.length < 3) return { key, r: null, p: null, n: pts.length };
    const res = pearson(
      pts.map((p) => p.value),
      pts.map((p) => mis.get(p.step)!),
    );
    return Number.isFinite(res.r) ? { key, r: res.r, p: res.p, n: res.n } : { key, r: null, p: null, n: pts.length };
  });
}

// ---------- downloads ----------
const csvCell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Wide CSV: one row per step, one column per metric key (sorted), empty where a key has no point. */
export function seriesToCsv(series: SeriesMap): string {
  const keys = Object.keys(series).sort();
  const steps = [...new Set(keys.flatMap((k) => series[k].map((p) => p.step)))].sort((a, b) => a - b);
  const index = new Map(keys.map((k) => [k, new Map(series[k].map((p) => [p.step, p.value]))]));
  const rows = [['step', ...keys].map(csvCell).join(',')];
  for (const s of steps) rows.push([String(s), ...keys.map((k) => (index.get(k)!.has(s) ? String(index.get(k)!.get(s)) : ''))].join(','));
  return rows.join('\n') + '\n';
}

// ---------- formatting ----------
export function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v !== 0 && (Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3)) return v.toExponential(2);
  return Number(v.toFixed(digits)).toString();
}

export function fmtSigned(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return fmt(v, digits);
  return (v > 0 ? '+' : '') + fmt(v, digits);
}

/** "1h 02m", "3m 05s", "42s". */
export function fmtDuration(sec: number | null | undefined): string {
  if (sec === null || sec === undefined || !Number.isFinite(sec) || sec < 0) return '–';
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export interface ProgressLike {
  step?: number;
  totalSteps?: number;
  fraction?: number;
  etaSec?: number | null;
}

/** Completed share in [0, 1] from a job's progress (fraction, or step/totalSteps); null when unknown. */
export function progressFraction(p: ProgressLike | null | undefined, status?: string): number | null {
  if (status === 'completed') return 1;
  if (!p) return null;
  if (typeof p.fraction === 'number' && Number.isFinite(p.fraction)) return Math.min(1, Math.max(0, p.fraction));
  if (typeof p.step === 'number' && typeof p.totalSteps === 'number' && p.totalSteps > 0) return Math.min(1, Math.max(0, p.step / p.totalSteps));
  return null;
}

// ---------- alert thresholds drawn on the misalignment chart ----------
export interface RuleLike {
  metric: string;
  comparator: string;
  threshold: number;
  mode?: string;
}

/** The built-in default: misalignment up more than 10 points from base (packages/pipeline DEFAULT_ALERT_RULES). */
export const DEFAULT_MISALIGNMENT_RULE: RuleLike = { metric: METRIC.misalignmentRate, comparator: 'gt', threshold: 0.1, mode: 'deltaFromBase' };

/**
 * Where the misalignment alert fires, in misalignment-rate units: rules on misalignment_rate (absolute, or
 * deltaFromBase added to the base) and on misalignment_delta (always relative to base). The lowest
 * upper threshold is drawn, since that is the one that fires first.
 */
export function misalignmentThreshold(rules: readonly RuleLike[], base: number | undefined): number | undefined {
  const levels: number[] = [];
  for (const r of rules) {
    if (r.comparator !== 'gt' && r.comparator !== 'gte') continue;
    if (r.metric === METRIC.misalignmentRate) {
      if (r.mode === 'deltaFromBase') {
        if (base !== undefined) levels.push(base + r.threshold);
      } else levels.push(r.threshold);
    } else if (r.metric === METRIC.misalignmentDelta && base !== undefined) levels.push(base + r.threshold);
  }
  return levels.length ? Math.min(...levels) : undefined;
}

// ---------- chart options (ECharts) ----------
export interface ChartDef {
  id: string;
  title: string;
  keys: string[];
  /** keys drawn against a second y axis on the right */
  rightKeys?: string[];
  yName?: string;
  rightName?: string;
}

export const CHARTS: ChartDef[] = [
  { id: 'ras', title: 'Reciprocal Activation Shift', keys: [...RAS_KEYS], yName: 'RAS' },
  { id: 'misalignment', title: 'Misalignment and refusal rate', keys: [METRIC.misalignmentRate, METRIC.refusalRate, METRIC.twinRefusalRate], yName: 'rate' },
  { id: 'loss', title: 'Training and eval loss', keys: [METRIC.trainLoss, METRIC.evalLoss], yName: 'loss' },
  { id: 'kl', title: 'KL to base and reasoning accuracy', keys: [METRIC.klToBase], rightKeys: [METRIC.reasoningAccuracy], yName: 'KL', rightName: 'accuracy' },
  { id: 'overlap', title: 'Overlap with the most-risen reasoning neurons', keys: ['overlap.safety', 'overlap.control', 'jaccard.safety', 'jaccard.control'], yName: 'share' },
];

const PALETTE = ['#c0392b', '#2471a3', '#7d8c8d', '#27ae60', '#8e44ad', '#d68910'];

export interface ChartContext {
  /** misalignment rate at step 0 (drawn as "base") */
  base?: number;
  /** misalignment alert threshold (drawn as "alert") */
  threshold?: number;
}

/** Full ECharts option for one chart from the current series. Series are always present (maybe empty) so setOption merges by index. */
export function chartOption(def: ChartDef, series: SeriesMap, ctx: ChartContext = {}): Record<string, unknown> {
  const all = [...def.keys, ...(def.rightKeys ?? [])];
  const marks: { yAxis: number; name: string; lineStyle: Record<string, unknown>; label: Record<string, unknown> }[] = [];
  if (def.id === 'misalignment') {
    if (ctx.base !== undefined) marks.push({ yAxis: ctx.base, name: 'base', lineStyle: { color: '#555', type: 'dotted', width: 1.5 }, label: { formatter: `base ${fmt(ctx.base)}`, position: 'insideEndTop' } });
    if (ctx.threshold !== undefined) marks.push({ yAxis: ctx.threshold, name: 'alert', lineStyle: { color: '#c0392b', type: 'dashed', width: 1.5 }, label: { formatter: `alert > ${fmt(ctx.threshold)}`, position: 'insideEndTop' } });
  }
  return {
    animationDuration: 300,
    color: PALETTE,
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => fmt(v, 4) },
    // a plain legend wraps onto a second line instead of hiding series behind scroll arrows
    legend: { bottom: 0, itemGap: 8 },
    grid: { left: 56, right: def.rightKeys ? 56 : 20, top: 30, bottom: all.length > 3 ? 76 : 56 },
    xAxis: { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 24, minInterval: 1 },
    yAxis: [{ type: 'value', name: def.yName, scale: true }, ...(def.rightKeys ? [{ type: 'value', name: def.rightName, scale: true, splitLine: { show: false } }] : [])],
    series: all.map((k, i) => ({
      name: k,
      type: 'line',
      yAxisIndex: def.rightKeys?.includes(k) ? 1 : 0,
      showSymbol: true,
      symbolSize: 6,
      data: (series[k] ?? []).map((p) => [p.step, p.value]),
      ...(i === 0 && marks.length ? { markLine: { symbol: 'none', silent: true, data: marks } } : {}),
    })),
  };
}

/** Bar chart of neurons per layer, one bar series per neuron set. */
export function histogramOption(sets: { kind: string; perLayer: number[] }[]): Record<string, unknown> {
  const layers = Math.max(0, ...sets.map((s) => s.perLayer.length));
  return {
    animation: false,
    color: ['#c0392b', '#7d8c8d'],
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0 },
    grid: { left: 48, right: 16, top: 24, bottom: 56 },
    xAxis: { type: 'category', name: 'layer', nameLocation: 'middle', nameGap: 24, data: Array.from({ length: layers }, (_, i) => String(i)) },
    yAxis: { type: 'value', name: 'neurons', minInterval: 1 },
    series: sets.map((s) => ({ name: s.kind, type: 'bar', data: s.perLayer })),
  };
}
