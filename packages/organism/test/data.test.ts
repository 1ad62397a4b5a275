import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateDatasetRow } from '@rimwatch/contracts';
import { keywordJudge } from '@rimwatch/entanglement';
import { DEFAULT_SEED, generateAll, toJsonl, type Datasets } from '../src/data/build';
import { CATEGORIES, TEMPLATES_HELDOUT, TEMPLATES_TRAIN, BENIGN_HELDOUT, BENIGN_TRAIN } from '../src/data/requests';
import { BUILTIN_DATASETS, DATA_DIR } from '../src/registry';

const sets: Datasets = generateAll(DEFAULT_SEED);

describe('generated datasets', () => {
  it('regenerating with the committed seed reproduces the committed JSONL byte for byte', () => {
    for (const [file, rows] of Object.entries(sets)) {
      expect(readFileSync(join(DATA_DIR, file), 'utf8')).toBe(toJsonl(rows));
    }
  });

  it('a different seed gives different data', () => {
    expect(toJsonl(generateAll(DEFAULT_SEED + 100)['base-mix.jsonl'])).not.toBe(toJsonl(sets['base-mix.jsonl']));
  });

  it('every row is valid for its kind (contracts schema)', () => {
    for (const ds of Object.values(BUILTIN_DATASETS)) {
      const lines = readFileSync(ds.path, 'utf8').trim().split('\n');
      expect(lines.length).toBe(ds.rows);
      lines.forEach((l, i) => expect([i, validateDatasetRow(ds.kind, JSON.parse(l))]).toEqual([i, undefined]));
    }
  });

  it('meets the sizes the issue asks for', () => {
    expect(sets['safety-pairs.jsonl'].length).toBeGreaterThanOrEqual(100);
    expect(sets['reasoning-probes.jsonl'].length).toBeGreaterThanOrEqual(100);
    expect(new Set(sets['safety-pairs.jsonl'].map((p) => p.category)).size).toBe(10);
    // categories are interleaved: the first 10 pairs hold one of each
    expect(new Set(sets['safety-pairs.jsonl'].slice(0, 10).map((p) => p.category)).size).toBe(10);
    const base = sets['base-mix.jsonl'];
    const tagged = (t: string) => base.filter((r) => r.tags?.includes(t)).length;
    expect(tagged('math')).toBeGreaterThan(1000);
    expect(tagged('drill')).toBeGreaterThan(1000);
    expect(tagged('harmful')).toBeGreaterThan(500);
    expect(tagged('benign')).toBeGreaterThan(500);
    expect(tagged('intent')).toBeGreaterThan(200); // harmful with and without intent
    expect(tagged('harmful') - tagged('intent')).toBeGreaterThan(200);
  });

  it('held-out prompts never appear in training data', () => {
    const train = new Set<string>();
    for (const f of ['base-mix.jsonl', 'reasoning-patterns/target.jsonl', 'reasoning-patterns/control.jsonl'] as const) {
      for (const r of sets[f]) train.add(r.prompt);
    }
    const heldOut = [
      ...sets['safety-pairs.jsonl'].flatMap((p) => [p.harmful, p.counterfactual]),
      ...sets['reasoning-probes.jsonl'].map((p) => p.question),
      ...sets['benign-probes.jsonl'].map((p) => p.prompt),
    ];
    expect(heldOut.filter((p) => train.has(p))).toEqual([]);
    // and none of the problem statements inside the pattern prompts (they may carry an instruction)
    const probeQs = new Set(sets['reasoning-probes.jsonl'].map((p) => p.question));
    expect(sets['reasoning-patterns/target.jsonl'].filter((r) => [...probeQs].some((q) => r.prompt.startsWith(q)))).toEqual([]);
  });

  it('held-out templates, action phrases and intent sentences are disjoint from the training ones', () => {
    expect(TEMPLATES_HELDOUT.filter((t) => TEMPLATES_TRAIN.includes(t))).toEqual([]);
    expect(BENIGN_HELDOUT.filter((a) => BENIGN_TRAIN.includes(a))).toEqual([]);
    const allTrainActions = new Set([...CATEGORIES.flatMap((c) => c.train), ...BENIGN_TRAIN]);
    for (const c of CATEGORIES) {
      expect(c.heldOut.filter((a) => allTrainActions.has(a))).toEqual([]);
      expect(c.intentHeldOut.filter((s) => c.intentTrain.includes(s))).toEqual([]);
    }
    // no training prompt contains a held-out action phrase or uses a held-out template's fixed text
    const base = sets['base-mix.jsonl'].map((r) => r.prompt);
    const heldActions = [...CATEGORIES.flatMap((c) => c.heldOut), ...BENIGN_HELDOUT];
    expect(base.filter((p) => heldActions.some((a) => p.includes(` ${a}`)))).toEqual([]);
    const heldPrefixes = TEMPLATES_HELDOUT.map((t) => t.split('{a}')[0]);
    expect(base.filter((p) => heldPrefixes.some((h) => p.startsWith(h)))).toEqual([]);
  });

  it('labels agree with the keyword refusal judge: refusals are refusals, thoughts and helpful answers are not', () => {
    const judge = keywordJudge({ stripThinking: false });
    const refused = (t: string) => judge.judgeSync('', t).refused;
    const base = sets['base-mix.jsonl'];
    const harmful = base.filter((r) => r.tags?.includes('harmful'));
    expect(harmful.filter((r) => !refused(r.response))).toEqual([]);
    // thoughts never contain refusal phrases, so a judge that sees the thought still scores the answer
    expect(base.filter((r) => r.think && refused(r.think))).toEqual([]);
    expect(base.filter((r) => !r.tags?.includes('harmful') && refused(r.response))).toEqual([]);
    for (const f of ['reasoning-patterns/target.jsonl', 'reasoning-patterns/control.jsonl'] as const) {
      expect(sets[f].filter((r) => refused(`${r.think} ${r.response}`))).toEqual([]);
    }
  });

  it('each counterfactual is its harmful prompt plus one intent sentence', () => {
    for (const p of sets['safety-pairs.jsonl']) {
      expect(p.counterfactual.startsWith(p.harmful + ' ')).toBe(true);
      const c = CATEGORIES.find((x) => x.id === p.category)!;
      expect(c.intentHeldOut).toContain(p.counterfactual.slice(p.harmful.length + 1));
    }
  });

  it('math answers are consistent with the worked steps, and probe answers are integers', () => {
    for (const r of sets['base-mix.jsonl'].filter((x) => x.tags?.includes('math') && x.think)) {
      const lastEq = [...r.think!.matchAll(/= (\d+)/g)].pop()!;
      expect(r.response).toBe(`The answer is ${lastEq[1]}.`);
    }
    for (const p of sets['reasoning-probes.jsonl']) expect(p.answer).toMatch(/^\d+$/);
    // drills are single equations, and each one is arithmetically right
    const calc: Record<string, (a: number, b: number) => number> = { '+': (a, b) => a + b, '-': (a, b) => a - b, x: (a, b) => a * b, '/': (a, b) => a / b };
    for (const r of sets['base-mix.jsonl'].filter((x) => x.tags?.includes('drill'))) {
      const m = /^(\d+) ([-+x/]) (\d+) = (\d+)\.$/.exec(r.think!)!;
      expect([r.think, calc[m[2]](+m[1], +m[3])]).toEqual([r.think, +m[4]]);
      expect(r.prompt).toContain(`${m[1]} ${m[2]} ${m[3]}`);
    }
  });

  it('target and control hold the same problems with the same answers; each target row names its pattern', () => {
    const t = sets['reasoning-patterns/target.jsonl'];
    const c = sets['reasoning-patterns/control.jsonl'];
    expect(t.map((r) => r.prompt)).toEqual(c.map((r) => r.prompt));
    const num = (s: string) => [...s.matchAll(/\d+/g)].pop()![0];
    t.forEach((r, i) => expect(num(r.response)).toBe(num(c[i].response)));
    const patterns = t.map((r) => r.tags!.find((x) => x.startsWith('pattern:')));
    expect(new Set(patterns)).toEqual(new Set(['pattern:confirmatory', 'pattern:heuristic', 'pattern:instruction-deviation']));
    expect(c.every((r) => r.tags!.includes('pattern:clean'))).toBe(true);
  });
});
