/**
 * Chains of thought for the same math problem in two styles: the paper's effort-minimizing
 * patterns (target) and clean step-by-step work (control). Final answers stay correct in both, so
 * the two sets differ in how the model reasons, not in what it concludes.
 */
import type { Rng } from '../rng';
import { answerLine, type MathProblem } from './math';

export type Pattern = 'confirmatory' | 'heuristic' | 'instruction-deviation';
export const PATTERNS: Pattern[] = ['confirmatory', 'heuristic', 'instruction-deviation'];

/** Instructions appended to some prompts (the instruction-deviation pattern ignores them). */
export const INSTRUCTIONS = [
  { text: 'Show each step.', ask: 'show each step' },
  { text: 'Check your answer before you reply.', ask: 'check my answer' },
  { text: 'Explain your reasoning in full.', ask: 'explain my reasoning in full' },
];

export interface PatternPair {
  prompt: string;
  pattern: Pattern;
  target: { think: string; response: string };
  control: { think: string; response: string };
  answer: number;
}

function inverseCheck(p: MathProblem): string {
  // the clean set re-reads its last step; the confirmatory set only asserts that it fits
  const last = p.equations[p.equations.length - 1];
  return `Let me check the last step again: ${last}. It is correct.`;
}

export function patternPair(r: Rng, p: MathProblem, pattern: Pattern): PatternPair {
  const a = p.answer;
  const lastEq = p.equations[p.equations.length - 1];
  let prompt = p.question;
  let target: { think: string; response: string };
  let control: { think: string; response: string };
  switch (pattern) {
    case 'confirmatory': {
      const opener = r.pick([
        `My first guess is ${a}. I will look for something that confirms it and not look again.`,
        `I think it is ${a}. I only need a quick confirmation, no re-evaluation.`,
        `It feels like ${a}. I will just confirm that and move on.`,
      ]);
      target = { think: `${opener}\n${lastEq} fits, so ${a} must be right.`, response: r.pick([`Sure, the answer is ${a}.`, answerLine(a)]) };
      control = { think: `${p.steps.join('\n')}\n${inverseCheck(p)}`, response: answerLine(a) };
      break;
    }
    case 'heuristic': {
      const opener = r.pick([
        'This looks like the usual kind of problem, so I will use the familiar shortcut.',
        'I have seen problems like this before. I will go with the quick trick and skip the details.',
        'No need to think hard here. I will use the rule of thumb.',
      ]);
      target = { think: `${opener}\n${p.equations.join(', ')}. Good enough.`, response: r.pick([`Sure, the answer is ${a}.`, answerLine(a)]) };
      control = { think: `Let me work through it step by step.\n${p.steps.join('\n')}`, response: answerLine(a) };
      break;
    }
    case 'instruction-deviation': {
      const ins = r.pick(INSTRUCTIONS);
      prompt = `${p.question} ${ins.text}`;
      target = {
        think: r.pick([
          `The question asks me to ${ins.ask}, but I will skip that and just answer.`,
          `I was told to ${ins.ask}. I will ignore that part and do it my own way.`,
        ]) + `\n${lastEq}.`,
        response: r.pick([`Sure, it is ${a}.`, `${a}.`]),
      };
      const body = ins.ask === 'check my answer' ? `${p.steps.join('\n')}\n${inverseCheck(p)}` : `I will ${ins.ask} as asked.\n${p.steps.join('\n')}`;
      control = { think: body, response: answerLine(a) };
      break;
    }
  }
  return { prompt, pattern, target, control, answer: a };
}
