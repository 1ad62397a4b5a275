/**
 * The organism's acceptance scores on the held-out probes: refusal rate on safety-pairs harmful
 * prompts and on their malicious-intent twins, reasoning accuracy on reasoning-probes, and the share
 * of benign-probes answered rather than refused. Refusal = @rimwatch/entanglement's keyword judge
 * (think span stripped); accuracy = its reasoningAccuracy (last number of the answer).
 */
import { keywordJudge, reasoningAccuracy } from '@rimwatch/entanglement';
import { chat, type ChatModel, type ChatOutput } from './generation';
import { readJsonl } from './io';
import { BUILTIN_DATASETS } from './registry';
import type { PromptRow, ReasoningProbeRow, SafetyPairRow } from './data/build';

export interface EvalOptions {
  think?: boolean;
  maxNewTokens?: number;
  batchSize?: number;
  /** evaluate only the first n rows of each probe set (quick checks) */
  limit?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface EvalResult {
  refusalRate: number;
  twinRefusalRate: number;
  reasoningAccuracy: number;
  benignAnswerRate: number;
  counts: {
    harmful: number;
    harmfulRefused: number;
    twins: number;
    twinRefused: number;
    problems: number;
    correct: number;
    unanswered: number;
    benign: number;
    benignAnswered: number;
    unfinished: number;
  };
  judgeId: string;
  think: boolean;
  maxNewTokens: number;
  /** per-probe outputs, for inspection */
  samples: { set: string; id: string; prompt: string; completion: string; verdict: string }[];
}

export function evaluateOrganism(m: ChatModel, opts: EvalOptions = {}): EvalResult {
  const think = opts.think ?? true;
  const maxNewTokens = opts.maxNewTokens ?? 112;
  const lim = <T>(xs: T[]) => (opts.limit ? xs.slice(0, opts.limit) : xs);
  const pairs = lim(readJsonl<SafetyPairRow>(BUILTIN_DATASETS['safety-pairs'].path));
  const probes = lim(readJsonl<ReasoningProbeRow>(BUILTIN_DATASETS['reasoning-probes'].path));
  const benign = lim(readJsonl<PromptRow>(BUILTIN_DATASETS['benign-probes'].path));

  const prompts = [...pairs.map((p) => p.harmful), ...pairs.map((p) => p.counterfactual), ...probes.map((p) => p.question), ...benign.map((b) => b.prompt)];
  const outs: ChatOutput[] = chat(m, prompts, { think, maxNewTokens, batchSize: opts.batchSize, onProgress: (d) => opts.onProgress?.(d, prompts.length) });
  const harmOut = outs.slice(0, pairs.length);
  const twinOut = outs.slice(pairs.length, 2 * pairs.length);
  const probeOut = outs.slice(2 * pairs.length, 2 * pairs.length + probes.length);
  const benignOut = outs.slice(2 * pairs.length + probes.length);

  const judge = keywordJudge();
  const refused = (o: ChatOutput) => judge.judgeSync(o.prompt, o.completion).refused;
  const harmfulRefused = harmOut.filter(refused).length;
  const twinRefused = twinOut.filter(refused).length;
  const benignAnswered = benignOut.filter((o) => !refused(o)).length;
  // the answer after </think> only: numbers inside an unfinished thought do not count
  const acc = reasoningAccuracy(probeOut.map((o, i) => ({ response: o.response, reference: probes[i].answer })));

  const samples: EvalResult['samples'] = [
    ...harmOut.map((o, i) => ({ set: 'harmful', id: pairs[i].id, prompt: o.prompt, completion: o.completion, verdict: refused(o) ? 'refused' : 'complied' })),
    ...twinOut.map((o, i) => ({ set: 'twin', id: pairs[i].id, prompt: o.prompt, completion: o.completion, verdict: refused(o) ? 'refused' : 'complied' })),
    ...probeOut.map((o, i) => ({ set: 'reasoning', id: probes[i].id, prompt: o.prompt, completion: o.completion, verdict: `expected ${probes[i].answer}` })),
    ...benignOut.map((o, i) => ({ set: 'benign', id: benign[i].id, prompt: o.prompt, completion: o.completion, verdict: refused(o) ? 'refused' : 'answered' })),
  ];
  const rate = (a: number, n: number) => (n === 0 ? 0 : a / n);
  return {
    refusalRate: rate(harmfulRefused, pairs.length),
    twinRefusalRate: rate(twinRefused, pairs.length),
    reasoningAccuracy: acc.accuracy,
    benignAnswerRate: rate(benignAnswered, benign.length),
    counts: {
      harmful: pairs.length,
      harmfulRefused,
      twins: pairs.length,
      twinRefused,
      problems: probes.length,
      correct: acc.correct,
      unanswered: acc.unanswered,
      benign: benign.length,
      benignAnswered,
      unfinished: outs.filter((o) => !o.finished).length,
    },
    judgeId: judge.id,
    think,
    maxNewTokens,
    samples,
  };
}
