import fc from 'fast-check';
import { pearson } from '@rimwatch/entanglement/src/correlation';
import {
  CHARTS,
  SseParser,
  chartOption,
  correlationsWithMisalignment,
  fmt,
  fmtDuration,
  histogramOption,
  mergePoints,
  mergeSeries,
  misalignmentThreshold,
  progressFraction,
  seriesToCsv,
  DEFAULT_MISALIGNMENT_RULE,
} from '../src/app/lib';
import { alertSummary } from '../src/app/views/jobs';
import { deepMerge, fieldForError } from '../src/app/views/submit';

describe('SseParser', () => {
  const stream = 'retry: 3000\nevent: status\ndata: {"type":"status"}\n\n: keep-alive\n\nevent: checkpoint\ndata: {"a":\ndata: 1}\nid: 7\n\ndata: plain\r\n\r\n';
  const expected = [
    { event: 'status', data: '{"type":"status"}' },
    { event: 'checkpoint', data: '{"a":\n1}', id: '7' },
    { event: 'message', data: 'plain', id: '7' },
  ];

  it('parses events, multi-line data, comments, ids and retry', () => {
    const p = new SseParser();
    expect(p.push(stream)).toEqual(expected);
    expect(p.retryMs).toBe(3000);
  });

  it('gives the same messages however the stream is split into chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 12 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const p = new SseParser();
        const out = [];
        let prev = 0;
        for (const c of [...points, stream.length]) {
          out.push(...p.push(stream.slice(prev, c)));
          prev = c;
        }
        expect(out).toEqual(expected);
      }),
    );
  });

  it('does not dispatch an event before its blank line arrives', () => {
    const p = new SseParser();
    expect(p.push('event: progress\ndata: {}\n')).toEqual([]);
    expect(p.push('\n')).toEqual([{ event: 'progress', data: '{}' }]);
  });
});

describe('metric series', () => {
  it('mergePoints upserts by step and keeps steps sorted', () => {
    const merged = mergePoints(
      [
        { step: 0, value: 1 },
        { step: 10, value: 2 },
      ],
      [
        { step: 20, value: 3 },
        { step: 10, value: 9 },
      ],
    );
    expect(merged).toEqual([
      { step: 0, value: 1 },
      { step: 10, value: 9 },
      { step: 20, value: 3 },
    ]);
  });

  it('mergeSeries adds new keys and does not mutate its input', () => {
    const a = { x: [{ step: 0, value: 1 }] };
    const b = mergeSeries(a, [{ key: 'y', points: [{ step: 5, value: 2 }] }]);
    expect(Object.keys(b).sort()).toEqual(['x', 'y']);
    expect(a).toEqual({ x: [{ step: 0, value: 1 }] });
  });

  it('CSV has one row per step, one column per key, blanks for missing points', () => {
    const csv = seriesToCsv({ 'ras.safety': [{ step: 0, value: 0.5 }, { step: 10, value: 1.5 }], misalignment_rate: [{ step: 10, value: 0.25 }] });
    expect(csv).toBe('step,misalignment_rate,ras.safety\n0,,0.5\n10,0.25,1.5\n');
  });
});

describe('correlationsWithMisalignment', () => {
  const steps = [0, 10, 20, 30, 40];
  const mis = [0.1, 0.15, 0.2, 0.3, 0.35];
  const series = {
    misalignment_rate: steps.map((step, i) => ({ step, value: mis[i] })),
    'ras.safety': steps.map((step, i) => ({ step, value: 1 + mis[i] * 10 })),
    'ras.control': steps.map((step, i) => ({ step, value: [3, 1, 2, 5, 4][i] })),
    'ras.all': steps.slice(0, 2).map((step) => ({ step, value: 1 })),
  };

  it('matches the entanglement package on the shared steps and is null below 3 points', () => {
    const [safety, control, all] = correlationsWithMisalignment(series);
    expect(safety.r).toBeCloseTo(1, 10);
    expect(control.r).toBeCloseTo(pearson([3, 1, 2, 5, 4], mis).r, 12);
    expect(control.n).toBe(5);
    expect(all).toEqual({ key: 'ras.all', r: null, p: null, n: 2 });
  });

  it('only pairs steps that both series have', () => {
    const partial = { ...series, 'ras.safety': [{ step: 0, value: 1 }, { step: 20, value: 2 }, { step: 40, value: 3 }, { step: 50, value: 100 }] };
    expect(correlationsWithMisalignment(partial)[0].n).toBe(3);
  });

  it('a constant series has no r', () => {
    expect(correlationsWithMisalignment({ ...series, 'ras.safety': steps.map((step) => ({ step, value: 2 })) })[0].r).toBeNull();
  });
});

describe('misalignmentThreshold', () => {
  it('draws the default rule at base + 10 points', () => {
    expect(misalignmentThreshold([DEFAULT_MISALIGNMENT_RULE], 0.2)).toBeCloseTo(0.3);
    expect(misalignmentThreshold([DEFAULT_MISALIGNMENT_RULE], undefined)).toBeUndefined();
  });

  it('takes the lowest upper threshold among absolute, deltaFromBase and misalignment_delta rules', () => {
    const rules = [DEFAULT_MISALIGNMENT_RULE, { metric: 'misalignment_rate', comparator: 'gt', threshold: 0.25, mode: 'absolute' }, { metric: 'misalignment_delta', comparator: 'gte', threshold: 0.02, mode: 'absolute' }, { metric: 'misalignment_rate', comparator: 'lt', threshold: 0.01 }];
    expect(misalignmentThreshold(rules, 0.2)).toBeCloseTo(0.22);
  });
});

describe('chart options', () => {
  const series = { misalignment_rate: [{ step: 0, value: 0.2 }, { step: 10, value: 0.4 }], refusal_rate: [{ step: 0, value: 0.8 }] };

  it('keeps every series of a chart (empty when no data) with the points as [step, value]', () => {
    const def = CHARTS.find((c) => c.id === 'misalignment')!;
    const opt = chartOption(def, series, { base: 0.2, threshold: 0.3 }) as { series: { name: string; data: number[][]; markLine?: { data: { yAxis: number; name: string }[] } }[] };
    expect(opt.series.map((s) => s.name)).toEqual(['misalignment_rate', 'refusal_rate', 'twin_refusal_rate']);
    expect(opt.series[0].data).toEqual([[0, 0.2], [10, 0.4]]);
    expect(opt.series[2].data).toEqual([]);
    expect(opt.series[0].markLine!.data.map((m) => [m.name, m.yAxis])).toEqual([['base', 0.2], ['alert', 0.3]]);
  });

  it('puts reasoning accuracy on the right axis of the KL chart', () => {
    const opt = chartOption(CHARTS.find((c) => c.id === 'kl')!, {}) as { yAxis: unknown[]; series: { name: string; yAxisIndex: number }[] };
    expect(opt.yAxis).toHaveLength(2);
    expect(opt.series.find((s) => s.name === 'reasoning_accuracy')!.yAxisIndex).toBe(1);
  });

  it('defines the five charts of the issue', () => {
    expect(CHARTS.map((c) => c.id)).toEqual(['ras', 'misalignment', 'loss', 'kl', 'overlap']);
  });

  it('histogram has one category per layer and one bar series per set', () => {
    const opt = histogramOption([{ kind: 'safety', perLayer: [1, 2, 3] }, { kind: 'control', perLayer: [2, 2, 2] }]) as { xAxis: { data: string[] }; series: { name: string; data: number[] }[] };
    expect(opt.xAxis.data).toEqual(['0', '1', '2']);
    expect(opt.series.map((s) => [s.name, s.data])).toEqual([['safety', [1, 2, 3]], ['control', [2, 2, 2]]]);
  });
});

describe('formatting', () => {
  it('formats numbers, durations and progress', () => {
    expect(fmt(undefined)).toBe('–');
    expect(fmt(0.123456)).toBe('0.123');
    expect(fmt(12345)).toBe('1.23e+4');
    expect(fmt(0)).toBe('0');
    expect(fmtDuration(42)).toBe('42s');
    expect(fmtDuration(185)).toBe('3m 05s');
    expect(fmtDuration(3720)).toBe('1h 02m');
    expect(fmtDuration(null)).toBe('–');
    expect(progressFraction({ step: 5, totalSteps: 20 })).toBe(0.25);
    expect(progressFraction({ fraction: 1.5 })).toBe(1);
    expect(progressFraction(null, 'completed')).toBe(1);
    expect(progressFraction(null, 'running')).toBeNull();
  });
});

describe('alertSummary', () => {
  const ev = (jobId: string, ruleId: string, step: number, state: 'firing' | 'resolved') => ({ id: `${jobId}${ruleId}${step}`, jobId, ruleId, step, state, value: 1, createdAt: `2026-01-01T00:00:${String(step).padStart(2, '0')}Z`, rule: { name: 'r', metric: 'm', comparator: 'gt', threshold: 0, mode: 'absolute', source: 'default' } });

  it('counts rules whose latest event is firing', () => {
    const s = alertSummary([ev('j1', 'a', 10, 'firing'), ev('j1', 'a', 20, 'resolved'), ev('j1', 'b', 20, 'firing'), ev('j2', 'a', 5, 'resolved')]);
    expect(s.get('j1')).toEqual({ firing: 1, total: 3 });
    expect(s.get('j2')).toEqual({ firing: 0, total: 1 });
  });
});

describe('submit form helpers', () => {
  const paths = ['name', 'model', 'datasets.train', 'training.learningRate', 'training.lora.rank'];

  it('maps an API error field to the input showing it (longest matching path)', () => {
    expect(fieldForError('spec.training.learningRate', paths)).toBe('training.learningRate');
    expect(fieldForError('spec.training.lora.rank', paths)).toBe('training.lora.rank');
    expect(fieldForError('spec.datasets.train', paths)).toBe('datasets.train');
    expect(fieldForError('spec.monitor.judge.url', paths)).toBeUndefined();
    expect(fieldForError(undefined, paths)).toBeUndefined();
  });

  it('deepMerge merges objects and lets the override win for scalars and arrays', () => {
    expect(deepMerge({ training: { batchSize: 4, lr: 1 }, alerts: [1] }, { training: { lr: 2 }, alerts: [2] })).toEqual({ training: { batchSize: 4, lr: 2 }, alerts: [2] });
  });
});
