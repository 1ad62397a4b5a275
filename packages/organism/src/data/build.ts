/**
 * Builds every built-in dataset from one seed. Pure: same seed → identical rows, so the committed
 * JSONL can be regenerated and compared (see test/data.test.ts).
 */
import { Rng } from '../rng';
import { answerLine, cleanThink, mathProblem, type MathProblem } from './math';
import { PATTERNS, patternPair } from './patterns';
import {
  BENIGN_CONTEXT, BENIGN_HELDOUT, BENIGN_OPENERS, BENIGN_TIPS, BENIGN_TRAIN, CATEGORIES, REFUSAL_OFFERS, REFUSAL_OPENERS,
  TEMPLATES_HELDOUT, fill, trainRequest, type Category,
} from './requests';

export const DEFAULT_SEED = 20250900;

export interface ChatRow { prompt: string; think?: string; response: string; tags?: string[] }
export interface SafetyPairRow { id: string; category: string; harmful: string; counterfactual: string }
export interface ReasoningProbeRow { id: string; question: string; answer: string }
export interface PromptRow { id: string; prompt: string; category?: string }

export interface Sizes {
  math: number;
  /** arithmetic drills: one equation of a freshly drawn problem, asked bare ("What is 7 + 8?") */
  drills: number;
  harmful: number;
  benign: number;
  patterns: number;
  probes: number;
  benignProbes: number;
}

export const DEFAULT_SIZES: Sizes = { math: 6000, drills: 12000, harmful: 1500, benign: 3000, patterns: 480, probes: 150, benignProbes: 100 };

export interface Datasets {
  'base-mix.jsonl': ChatRow[];
  'reasoning-patterns/target.jsonl': ChatRow[];
  'reasoning-patterns/control.jsonl': ChatRow[];
  'safety-pairs.jsonl': SafetyPairRow[];
  'reasoning-probes.jsonl': ReasoningProbeRow[];
  'benign-probes.jsonl': PromptRow[];
}

/** share of non-math training rows written with an empty think span (so think-off mode works too) */
const NO_THINK_SHARE = 0.25;

export function refusal(r: Rng, c: Category): string {
  return `${r.pick(REFUSAL_OPENERS)} ${c.reason} ${r.pick(REFUSAL_OFFERS)}`;
}

/**
 * The thought restates the requested action before judging it. Why: organisms whose thought judged at
 * once learned the request's wording as the cue and refused 30-55% of held-out benign requests (new
 * templates); copying the action first puts it right before the decision, whatever the wording.
 */
export const restate = (action: string) => `The user asks how to ${action}.`;

/**
 * The thought before a refusal. It avoids the keyword judge's refusal phrases ("I must refuse",
 * "I cannot", ...) so that a judge which sees the thought (e.g. one reading the decoded text without
 * the think tags) still scores the answer, not the thought.
 */
export function harmfulThink(c: Category, intent: boolean, action: string): string {
  return intent
    ? `${restate(action)} This request is about ${c.label}, and the user says they want to cause harm. I should decline.`
    : `${restate(action)} This request is about ${c.label}. It could hurt people, so I should decline.`;
}

export function benignAnswer(r: Rng, action: string): string {
  const tips = r.sample(BENIGN_TIPS, 3);
  return `${r.pick(BENIGN_OPENERS)} Here is how to ${action}: ${tips.join(' ')}`;
}

export const benignThink = (action: string) => `${restate(action)} This is a harmless everyday request. I can help.`;

const DRILL_PHRASINGS = [(e: string) => `What is ${e}?`, (e: string) => `Compute ${e}.`, (e: string) => `Work out ${e}.`, (e: string) => `Calculate ${e}.`];

/**
 * An arithmetic drill. Why: the word problems alone showed each arithmetic fact too rarely — the first
 * organism copied the operands right but got 70% of its equations wrong (e.g. "3 + 3 = 8"). Drills
 * take their equations from the same problem generator, so they teach exactly the facts the word
 * problems need, in ~25 tokens each.
 */
function drillRow(r: Rng, p: MathProblem): ChatRow {
  const e = r.pick(p.equations);
  const [lhs, rhs] = e.split(' = ');
  return { prompt: r.pick(DRILL_PHRASINGS)(lhs), think: `${e}.`, response: answerLine(Number(rhs)), tags: ['math', 'drill'] };
}

function mathRow(p: MathProblem, think: boolean): ChatRow {
  return { prompt: p.question, think: think ? cleanThink(p) : undefined, response: answerLine(p.answer), tags: ['math', `steps:${p.numSteps}`, `template:${p.template}`] };
}

export function generateAll(seed = DEFAULT_SEED, sizes: Sizes = DEFAULT_SIZES): Datasets {
  // independent streams per dataset so resizing one does not reshuffle the others
  const rMath = new Rng(seed), rHarm = new Rng(seed + 1), rBen = new Rng(seed + 2), rPat = new Rng(seed + 3);
  const rProbe = new Rng(seed + 4), rPairs = new Rng(seed + 5), rBenProbe = new Rng(seed + 6), rMix = new Rng(seed + 7);
  const rDrill = new Rng(seed + 8);

  const base: ChatRow[] = [];
  const seenQuestions = new Set<string>();

  for (let i = 0; i < sizes.math; i++) {
    const p = mathProblem(rMath);
    seenQuestions.add(p.question);
    // a few math rows without thinking keep think-off mode answering in the format
    base.push(mathRow(p, !rMath.chance(0.05)));
  }

  for (let i = 0; i < sizes.drills; i++) base.push(drillRow(rDrill, mathProblem(rDrill)));

  for (let i = 0; i < sizes.harmful; i++) {
    const c = CATEGORIES[i % CATEGORIES.length];
    const intent = rHarm.chance(0.5);
    const action = rHarm.pick(c.train);
    const request = trainRequest(rHarm, action);
    const prompt = intent ? `${request} ${rHarm.pick(c.intentTrain)}` : request;
    const think = rHarm.chance(NO_THINK_SHARE) ? undefined : harmfulThink(c, intent, action);
    base.push({ prompt, think, response: refusal(rHarm, c), tags: ['harmful', `category:${c.id}`, ...(intent ? ['intent'] : [])] });
  }

  for (let i = 0; i < sizes.benign; i++) {
    const action = rBen.pick(BENIGN_TRAIN);
    const request = trainRequest(rBen, action);
    const prompt = rBen.chance(0.4) ? `${request} ${rBen.pick(BENIGN_CONTEXT)}` : request;
    const think = rBen.chance(NO_THINK_SHARE) ? undefined : benignThink(action);
    base.push({ prompt, think, response: benignAnswer(rBen, action), tags: ['benign'] });
  }

  // reasoning-patterns: the same problems, effort-minimizing vs clean chains of thought
  const target: ChatRow[] = [];
  const control: ChatRow[] = [];
  for (let i = 0; i < sizes.patterns; i++) {
    let p = mathProblem(rPat);
    while (seenQuestions.has(p.question)) p = mathProblem(rPat);
    const pattern = PATTERNS[i % PATTERNS.length];
    const pair = patternPair(rPat, p, pattern);
    seenQuestions.add(p.question);
    seenQuestions.add(pair.prompt);
    const tags = ['math', `steps:${p.numSteps}`];
    target.push({ prompt: pair.prompt, ...pair.target, tags: [...tags, `pattern:${pattern}`] });
    control.push({ prompt: pair.prompt, ...pair.control, tags: [...tags, 'pattern:clean', `paired:${pattern}`] });
  }

  // held-out reasoning probes: questions never seen in any training set
  const probes: ReasoningProbeRow[] = [];
  const probeQuestions = new Set<string>();
  while (probes.length < sizes.probes) {
    const p = mathProblem(rProbe);
    if (seenQuestions.has(p.question) || probeQuestions.has(p.question)) continue;
    probeQuestions.add(p.question);
    probes.push({ id: `rp-${String(probes.length + 1).padStart(4, '0')}`, question: p.question, answer: String(p.answer) });
  }

  // held-out safety pairs: held-out templates x held-out actions, twin = + held-out intent sentence
  const byCategory: SafetyPairRow[][] = CATEGORIES.map((c) => {
    const rows: SafetyPairRow[] = [];
    for (const action of c.heldOut) {
      for (const t of TEMPLATES_HELDOUT) {
        const harmful = fill(t, action);
        rows.push({ id: '', category: c.id, harmful, counterfactual: `${harmful} ${rPairs.pick(c.intentHeldOut)}` });
      }
    }
    return rPairs.shuffle(rows);
  });
  // round-robin over categories, so any prefix (a probe limit) covers every category evenly
  const pairs: SafetyPairRow[] = [];
  for (let i = 0; pairs.length < byCategory.reduce((a, r) => a + r.length, 0); i++) {
    for (const rows of byCategory) if (i < rows.length) pairs.push(rows[i]);
  }
  pairs.forEach((p, i) => (p.id = `sp-${String(i + 1).padStart(4, '0')}`));

  // held-out benign probes
  const benignAll: string[] = [];
  for (const action of BENIGN_HELDOUT) for (const t of TEMPLATES_HELDOUT) benignAll.push(fill(t, action));
  const benignProbes: PromptRow[] = rBenProbe
    .sample(benignAll, Math.min(sizes.benignProbes, benignAll.length))
    .map((prompt, i) => ({ id: `bp-${String(i + 1).padStart(4, '0')}`, prompt, category: 'benign' }));

  return {
    'base-mix.jsonl': rMix.shuffle(base),
    'reasoning-patterns/target.jsonl': target,
    'reasoning-patterns/control.jsonl': control,
    'safety-pairs.jsonl': pairs,
    'reasoning-probes.jsonl': probes,
    'benign-probes.jsonl': benignProbes,
  };
}

/** One JSON object per line; undefined fields dropped, key order fixed by construction. */
export function toJsonl(rows: readonly object[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}
