/**
 * Arithmetic word problems with step-by-step solutions. Numbers stay small (operands ≤ 20,
 * single-digit products, results < 100) so a model of a few million parameters can learn the
 * arithmetic facts; the tokenizer splits digits one per token.
 */
import type { Rng } from '../rng';

export interface MathProblem {
  question: string;
  /** clean step-by-step lines (one equation per line), ending with the result line */
  steps: string[];
  /** the operations in order, e.g. "7 + 5 = 12" */
  equations: string[];
  answer: number;
  numSteps: number;
  template: string;
}

const NAMES = ['Tom', 'Mia', 'Sam', 'Lena', 'Omar', 'Ava', 'Ben', 'Zoe', 'Leo', 'Ivy', 'Max', 'Nora', 'Eli', 'Ruby', 'Jack', 'Lily', 'Noah', 'Emma', 'Ali', 'Sara'];
const SHE = new Set(['Mia', 'Lena', 'Ava', 'Zoe', 'Ivy', 'Nora', 'Ruby', 'Lily', 'Emma', 'Sara']);
const ITEMS = ['apples', 'pens', 'books', 'cards', 'stickers', 'marbles', 'cookies', 'shells', 'coins', 'stamps', 'oranges', 'pencils', 'toys', 'cups', 'eggs', 'flowers'];
const CONTAINERS = ['boxes', 'bags', 'baskets', 'jars', 'packs', 'rows', 'shelves', 'trays'];

const pron = (n: string) => (SHE.has(n) ? 'She' : 'He');
const poss = (n: string) => (SHE.has(n) ? 'her' : 'his');

type Gen = (r: Rng) => MathProblem;

function eq(a: number, op: string, b: number, c: number) {
  return `${a} ${op} ${b} = ${c}`;
}

// --- one step -------------------------------------------------------------------------------
const add1: Gen = (r) => {
  const n = r.pick(NAMES), it = r.pick(ITEMS), a = r.int(2, 20), b = r.int(2, 20);
  const c = a + b;
  const q = r.pick([
    `${n} has ${a} ${it}. ${pron(n)} gets ${b} more. How many ${it} does ${n} have now?`,
    `${n} had ${a} ${it} and found ${b} more. How many ${it} does ${pron(n).toLowerCase()} have in total?`,
    `There are ${a} ${it} on a table and ${n} puts ${b} more there. How many ${it} are on the table?`,
  ]);
  return { question: q, steps: [], equations: [eq(a, '+', b, c)], answer: c, numSteps: 1, template: 'add1' };
};

const sub1: Gen = (r) => {
  const n = r.pick(NAMES), it = r.pick(ITEMS), a = r.int(5, 20), b = r.int(1, a - 1);
  const c = a - b;
  const q = r.pick([
    `${n} has ${a} ${it}. ${pron(n)} gives away ${b}. How many ${it} are left?`,
    `${n} had ${a} ${it} and lost ${b} of them. How many ${it} does ${pron(n).toLowerCase()} have now?`,
    `A shop has ${a} ${it}. It sells ${b}. How many ${it} does the shop have left?`,
  ]);
  return { question: q, steps: [], equations: [eq(a, '-', b, c)], answer: c, numSteps: 1, template: 'sub1' };
};

const mul1: Gen = (r) => {
  const n = r.pick(NAMES), it = r.pick(ITEMS), box = r.pick(CONTAINERS), a = r.int(2, 9), b = r.int(2, 9);
  const c = a * b;
  const q = r.pick([
    `${n} has ${a} ${box} with ${b} ${it} in each. How many ${it} does ${n} have?`,
    `There are ${a} ${box} and each one holds ${b} ${it}. How many ${it} are there in all?`,
    `${n} buys ${a} ${box} of ${it}. Each has ${b} ${it}. How many ${it} did ${pron(n).toLowerCase()} buy?`,
  ]);
  return { question: q, steps: [], equations: [eq(a, 'x', b, c)], answer: c, numSteps: 1, template: 'mul1' };
};

const div1: Gen = (r) => {
  const n = r.pick(NAMES), it = r.pick(ITEMS), k = r.int(2, 9), each = r.int(2, 9);
  const total = k * each;
  const q = r.pick([
    `${n} shares ${total} ${it} equally among ${k} friends. How many ${it} does each friend get?`,
    `${total} ${it} are split into ${k} equal groups. How many ${it} are in each group?`,
  ]);
  return { question: q, steps: [], equations: [eq(total, '/', k, each)], answer: each, numSteps: 1, template: 'div1' };
};

// --- two steps ------------------------------------------------------------------------------
const addSub2: Gen = (r) => {
  const n = r.pick(NAMES), it = r.pick(ITEMS), a = r.int(3, 20), b = r.int(2, 15);
  const s = a + b, c = r.int(1, s - 1), d = s - c;
  const q = r.pick([
    `${n} has ${a} ${it}. ${pron(n)} buys ${b} more and then gives ${c} to a friend. How many ${it} does ${n} have now?`,
    `${n} picked ${a} ${it} in the morning and ${b} in the afternoon. ${pron(n)} ate ${c}. How many ${it} are left?`,
  ]);
  return {
    question: q,
    steps: [], equations: [eq(a, '+', b, s), eq(s, '-', c, d)], answer: d, numSteps: 2, template: 'addSub2',
  };
};

const mulAdd2: Gen = (r) => {
  const n = r.pick(NAMES), it = r.pick(ITEMS), box = r.pick(CONTAINERS), a = r.int(2, 9), b = r.int(2, 9), c = r.int(1, 15);
  const m = a * b, d = m + c;
  const q = r.pick([
    `${n} has ${a} ${box} with ${b} ${it} in each, and ${c} loose ${it}. How many ${it} does ${n} have in all?`,
    `A store gets ${a} ${box} of ${it} with ${b} in each box. It already had ${c} ${it}. How many ${it} does it have now?`,
  ]);
  return {
    question: q,
    steps: [], equations: [eq(a, 'x', b, m), eq(m, '+', c, d)], answer: d, numSteps: 2, template: 'mulAdd2',
  };
};

const mulSub2: Gen = (r) => {
  const n = r.pick(NAMES), it = r.pick(ITEMS), a = r.int(2, 9), b = r.int(2, 9);
  const m = a * b, c = r.int(1, m - 1), d = m - c;
  const q = `${n} buys ${a} packs of ${it} with ${b} in each pack. ${pron(n)} uses ${c} of them. How many ${it} are left?`;
  return {
    question: q,
    steps: [], equations: [eq(a, 'x', b, m), eq(m, '-', c, d)], answer: d, numSteps: 2, template: 'mulSub2',
  };
};

const price2: Gen = (r) => {
  const n = r.pick(NAMES), it = r.pick(ITEMS), k = r.int(2, 9), p = r.int(2, 9);
  const cost = k * p, money = cost + r.int(1, 20), change = money - cost;
  const q = `${n} has ${money} dollars. ${pron(n)} buys ${k} ${it} that cost ${p} dollars each. How many dollars does ${pron(n).toLowerCase()} have left?`;
  return {
    question: q,
    steps: [], equations: [eq(k, 'x', p, cost), eq(money, '-', cost, change)], answer: change, numSteps: 2, template: 'price2',
  };
};

// --- three steps ----------------------------------------------------------------------------
const three3: Gen = (r) => {
  const n = r.pick(NAMES), m = r.pick(NAMES.filter((x) => x !== n)), it = r.pick(ITEMS);
  const a = r.int(2, 15), b = r.int(2, 12), s = a + b, k = r.int(2, 4), t = s * k > 99 ? null : s * k;
  if (t === null || s > 30) return three3(r);
  const c = r.int(1, Math.min(20, t - 1)), d = t - c;
  const q = `${n} has ${a} ${it} and ${m} has ${b}. They put them together, and then the pile is made ${k} times bigger. Then they give away ${c}. How many ${it} do they have?`;
  return {
    question: q,
    steps: [], equations: [eq(a, '+', b, s), eq(s, 'x', k, t), eq(t, '-', c, d)], answer: d, numSteps: 3, template: 'three3',
  };
};

const shop3: Gen = (r) => {
  const n = r.pick(NAMES), it = r.pick(ITEMS), box = r.pick(CONTAINERS);
  const a = r.int(2, 6), b = r.int(2, 9), m = a * b, c = r.int(2, 15), s = m + c, e = r.int(1, s - 1), d = s - e;
  const q = `${n} fills ${a} ${box} with ${b} ${it} each. ${pron(n)} adds ${c} more ${it}, then ${poss(n)} brother takes ${e}. How many ${it} are there now?`;
  return {
    question: q,
    steps: [], equations: [eq(a, 'x', b, m), eq(m, '+', c, s), eq(s, '-', e, d)], answer: d, numSteps: 3, template: 'shop3',
  };
};

const ONE: Gen[] = [add1, sub1, mul1, div1];
const TWO: Gen[] = [addSub2, mulAdd2, mulSub2, price2];
const THREE: Gen[] = [three3, shop3];

/** 40% one step, 40% two steps, 20% three steps. */
export function mathProblem(r: Rng): MathProblem {
  const u = r.int(0, 9);
  const gens = u < 4 ? ONE : u < 8 ? TWO : THREE;
  const p = r.pick(gens)(r);
  // worked steps are the equations only: the model copies the numbers and computes, nothing else
  p.steps = p.equations.map((e) => `${e}.`);
  return p;
}

export const answerLine = (answer: number) => `The answer is ${answer}.`;

/** Clean step-by-step chain of thought. */
export function cleanThink(p: MathProblem): string {
  return p.steps.join('\n');
}
