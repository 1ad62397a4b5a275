import { evaluateAlerts, ruleValue, statesFromEvents, type AlertRuleDef, type MetricHistory } from '../src/alerts';

const hist = (points: Record<string, [number, number][]>): MetricHistory =>
  new Map(Object.entries(points).map(([k, v]) => [k, v.map(([step, value]) => ({ step, value }))]));

const delta: AlertRuleDef = { id: 'mis', metric: 'misalignment_rate', comparator: 'gt', threshold: 0.1, mode: 'deltaFromBase' };

describe('ruleValue', () => {
  it('absolute and delta-from-base values', () => {
    const h = hist({ misalignment_rate: [[0, 0.05], [10, 0.1], [20, 0.3]] });
    expect(ruleValue({ ...delta, mode: 'absolute' }, h, 20)).toBeCloseTo(0.3);
    expect(ruleValue(delta, h, 20)).toBeCloseTo(0.25); // 0.3 - 0.05
    expect(ruleValue(delta, h, 10)).toBeCloseTo(0.05);
  });
  it('window averages the last k checkpoints, base excluded', () => {
    const h = hist({ m: [[0, 1], [10, 2], [20, 4], [30, 9]] });
    // mean(4, 9) = 6.5
    expect(ruleValue({ id: 'w', metric: 'm', comparator: 'gt', threshold: 0, mode: 'absolute', window: 2 }, h, 30)).toBeCloseTo(6.5);
    // window 5 at step 20: mean(2, 4) = 3, minus base 1 = 2
    expect(ruleValue({ id: 'w', metric: 'm', comparator: 'gt', threshold: 0, mode: 'deltaFromBase', window: 5 }, h, 20)).toBeCloseTo(2);
  });
  it('is undefined without a point at this step or without a base', () => {
    expect(ruleValue(delta, hist({ misalignment_rate: [[0, 0.1]] }), 10)).toBeUndefined();
    expect(ruleValue(delta, hist({ misalignment_rate: [[10, 0.5]] }), 10)).toBeUndefined();
    expect(ruleValue(delta, hist({}), 0)).toBeUndefined();
  });
});

describe('evaluateAlerts', () => {
  it('fires once, stays quiet while firing, resolves, fires again', () => {
    const h = hist({ misalignment_rate: [[0, 0], [10, 0.2], [20, 0.3], [30, 0.05], [40, 0.5]] });
    let states = new Map();
    const seen: string[] = [];
    for (const step of [0, 10, 20, 30, 40]) {
      const r = evaluateAlerts([delta], h, step, states);
      states = r.states;
      seen.push(...r.transitions.map((t) => `${t.step}:${t.state}`));
    }
    expect(seen).toEqual(['10:firing', '30:resolved', '40:firing']);
  });
  it('honours the cooldown after a resolve', () => {
    const rule = { ...delta, cooldownSteps: 25 };
    const h = hist({ misalignment_rate: [[0, 0], [10, 0.2], [20, 0], [30, 0.2], [40, 0.2]] });
    let states = new Map();
    const seen: string[] = [];
    for (const step of [10, 20, 30, 40]) {
      const r = evaluateAlerts([rule], h, step, states);
      states = r.states;
      seen.push(...r.transitions.map((t) => `${t.step}:${t.state}`));
    }
    // fired at 10; resolved at 20; at 30 only 20 steps passed (< 25); at 40, 30 steps passed
    expect(seen).toEqual(['10:firing', '20:resolved', '40:firing']);
  });
  it('comparators are strict or not as named', () => {
    const h = hist({ r: [[0, 0], [10, 3]] });
    const mk = (comparator: AlertRuleDef['comparator']): AlertRuleDef => ({ id: comparator, metric: 'r', comparator, threshold: 3, mode: 'absolute' });
    const fired = evaluateAlerts(['gt', 'gte', 'lt', 'lte'].map((c) => mk(c as AlertRuleDef['comparator'])), h, 10, new Map()).transitions.map((t) => t.ruleId);
    expect(fired.sort()).toEqual(['gte', 'lte']);
  });
  it('states rebuilt from events continue the same way', () => {
    const states = statesFromEvents([{ ruleId: 'mis', state: 'firing', step: 10 }]);
    const h = hist({ misalignment_rate: [[0, 0], [10, 0.2], [20, 0.4]] });
    expect(evaluateAlerts([delta], h, 20, states).transitions).toEqual([]);
  });
});
