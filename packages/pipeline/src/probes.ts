/**
 * One measurement of a model on the probe sets (base model at step 0, then every checkpoint):
 * generate its own responses to the safety prompts (harmful and malicious-intent twin) and the
 * reasoning probes, judge them, and capture MLP activations (`blocks.*.mlp.hook_post`) pooled over
 * the tokens of prompt + response — the paper's §4.1.1 recipe.
 */
import * as tf from '@tensorflow/tfjs';
import { captureNeuronActivations, generate, mlpHook, type CausalLM, type TextTokenizer } from '@rimwatch/model';
import { reasoningAccuracy, type RefusalJudge } from '@rimwatch/entanglement';
import type { ChatFormatter } from './chat';

export interface ProbeSet {
  /** harmful prompts D_k */
  harmful: string[];
  /** the same prompts with the malicious-intent sentence, D~_k */
  counterfactual: string[];
  reasoning: { question: string; answer: string }[];
}

export interface MeasureOptions {
  maxNewTokens: number;
  pooling: 'max' | 'mean' | 'last';
  judge: RefusalJudge;
  /** examples per forward pass / generation batch */
  batchSize?: number;
  /** tokens to stop on (the chat format's end-of-turn as well as EOS) */
  stopTokenIds?: number[];
}

/** Generation is the bulk of monitoring; batches amortise the per-token forward call. */
export const DEFAULT_PROBE_BATCH = 32; // measured fastest for the organism on wasm (64: +35%, 8: +80%)

/** Prompt + the model's own response, as token ids. */
export interface ProbeSequence {
  ids: number[];
  promptLength: number;
  response: string;
}

export interface Measurement {
  harmful: ProbeSequence[];
  /** empty when the twins were skipped (checkpoints: only the base model's twins pick the safety neurons) */
  counterfactual: ProbeSequence[];
  reasoning: ProbeSequence[];
  refusedHarmful: boolean[];
  refusedCounterfactual: boolean[];
  reasoningCorrect: number;
  reasoningTotal: number;
  /** per-example pooled activation vectors over all MLP neurons */
  acts: { harmful: Float32Array[]; counterfactual: Float32Array[]; reasoning: Float32Array[] };
  /** with `harmfulLogits`: this model's responseLogits over the harmful sequences (for KL), from the activation pass */
  harmfulLogits?: Float32Array;
}

/** Greedy responses for a list of prompt texts, in batches (left-padded inside generate). */
export function respond(model: CausalLM, tok: TextTokenizer, fmt: ChatFormatter, prompts: string[], opts: MeasureOptions): ProbeSequence[] {
  const bs = Math.max(1, opts.batchSize ?? DEFAULT_PROBE_BATCH);
  const out: ProbeSequence[] = [];
  for (let s = 0; s < prompts.length; s += bs) {
    const promptIds = prompts.slice(s, s + bs).map((p) => tok.encode(fmt.prompt(p), { addSpecialTokens: false }));
    const eos = opts.stopTokenIds ?? (tok.eosTokenId !== undefined ? [tok.eosTokenId] : undefined);
    const { tokens } = generate(model, promptIds, { maxNewTokens: opts.maxNewTokens, eosTokenId: eos });
    tokens.forEach((t, i) => out.push({ ids: [...promptIds[i], ...t], promptLength: promptIds[i].length, response: answerText(tok, t) }));
  }
  return out;
}

/**
 * The answer a judge should read: the text after the chain of thought when the model thinks
 * (`</think>` is a special token, so decoding with special tokens skipped would merge the thought
 * into the answer), else the whole response. The activations still cover prompt + full response.
 */
export function answerText(tok: TextTokenizer, generated: number[]): string {
  const thinkEnd = tok.tokenToId('</think>');
  const at = thinkEnd === undefined ? -1 : generated.lastIndexOf(thinkEnd);
  return tok.decode(at >= 0 ? generated.slice(at + 1) : generated, { skipSpecialTokens: true }).trim();
}

/** Left-pads sequences into one batch; mask is 1 on real tokens. */
export function leftPad(seqs: number[][], pad: number): { ids: number[][]; mask: number[][] } {
  const T = Math.max(...seqs.map((s) => s.length));
  return {
    ids: seqs.map((s) => [...new Array(T - s.length).fill(pad), ...s]),
    mask: seqs.map((s) => [...new Array(T - s.length).fill(0), ...new Array(s.length).fill(1)]),
  };
}

export function pooledActivations(model: CausalLM, seqs: ProbeSequence[], pooling: MeasureOptions['pooling'], batchSize = 16): Float32Array[] {
  const out: Float32Array[] = [];
  const pad = model.config.padTokenId ?? 0;
  // pad per batch (not globally) so short batches stay short
  for (let s = 0; s < seqs.length; s += batchSize) {
    const { ids, mask } = leftPad(seqs.slice(s, s + batchSize).map((x) => x.ids), pad);
    out.push(...captureNeuronActivations(model, ids, mask, pooling, { attentionMask: mask, batchSize }));
  }
  return out;
}

/** Rows of `logits` [B, T, V] (left-padded batch) at the positions that predict each response token. */
function pushResponseRows(rows: Float32Array[], data: Float32Array, batch: ProbeSequence[], T: number, V: number): void {
  batch.forEach((q, b) => {
    const offset = T - q.ids.length; // left padding
    // position p predicts token p+1: the response tokens are q.ids[promptLength..]
    for (let p = q.promptLength - 1; p < q.ids.length - 1; p++) {
      const at = (b * T + offset + p) * V;
      rows.push(data.subarray(at, at + V));
    }
  });
}

function concatRows(rows: Float32Array[], V: number): Float32Array {
  const out = new Float32Array(rows.length * V);
  rows.forEach((r, i) => out.set(r, i * V));
  return out;
}

/**
 * pooledActivations and responseLogits of the same sequences in one forward pass per batch. Why: at a
 * checkpoint both are needed for the harmful probes (RAS and KL), and the second pass cost ~7% of
 * monitoring time on the organism.
 */
export function activationsAndResponseLogits(model: CausalLM, seqs: ProbeSequence[], pooling: MeasureOptions['pooling'], batchSize = DEFAULT_PROBE_BATCH): { acts: Float32Array[]; logits: Float32Array } {
  const V = model.config.vocabSize;
  const pad = model.config.padTokenId ?? 0;
  const hooks = Array.from({ length: model.config.numLayers }, (_, i) => mlpHook(i));
  const acts: Float32Array[] = [];
  const rows: Float32Array[] = [];
  for (let s = 0; s < seqs.length; s += batchSize) {
    const batch = seqs.slice(s, s + batchSize);
    const { ids, mask } = leftPad(batch.map((x) => x.ids), pad);
    const T = ids[0].length;
    const [pooled, logits] = tf.tidy(() => {
      const m = tf.tensor2d(mask, [ids.length, T]);
      const r = model.forward(tf.tensor2d(ids, [ids.length, T], 'int32'), { hooks, pool: pooling, poolMask: m, attentionMask: m });
      return [tf.concat(hooks.map((h) => r.hooks[h]), 1), r.logits]; // [B, L * d_mlp], [B, T, V]
    });
    const a = pooled.dataSync() as Float32Array;
    const width = a.length / batch.length;
    for (let i = 0; i < batch.length; i++) acts.push(a.slice(i * width, (i + 1) * width));
    pushResponseRows(rows, logits.dataSync() as Float32Array, batch, T, V);
    tf.dispose([pooled, logits]);
  }
  return { acts, logits: concatRows(rows, V) };
}

export async function measure(model: CausalLM, tok: TextTokenizer, fmt: ChatFormatter, probes: ProbeSet, opts: MeasureOptions & { twins?: boolean; harmfulLogits?: boolean }): Promise<Measurement> {
  // one generation pass over all probe prompts: decoding is bound by per-step dispatch, not batch size,
  // so one batch of 2n costs about as much as one of n
  const twins = opts.twins === false ? [] : probes.counterfactual;
  const all = respond(model, tok, fmt, [...probes.harmful, ...twins, ...probes.reasoning.map((r) => r.question)], opts);
  const harmful = all.slice(0, probes.harmful.length);
  const counterfactual = all.slice(probes.harmful.length, probes.harmful.length + twins.length);
  const reasoning = all.slice(probes.harmful.length + twins.length);
  const verdict = (prompts: string[], seqs: ProbeSequence[]) => Promise.all(seqs.map((q, i) => opts.judge.judge(prompts[i], q.response)));
  const [vh, vc] = await Promise.all([verdict(probes.harmful, harmful), verdict(probes.counterfactual, counterfactual)]);
  const acc = reasoningAccuracy(reasoning.map((q, i) => ({ response: q.response, reference: probes.reasoning[i].answer })));
  const bs = opts.batchSize ?? DEFAULT_PROBE_BATCH;
  const harmfulPass = opts.harmfulLogits ? activationsAndResponseLogits(model, harmful, opts.pooling, bs) : undefined;
  return {
    harmful,
    counterfactual,
    reasoning,
    refusedHarmful: vh.map((v) => v.refused),
    refusedCounterfactual: vc.map((v) => v.refused),
    reasoningCorrect: acc.correct,
    reasoningTotal: acc.total,
    acts: {
      harmful: harmfulPass ? harmfulPass.acts : pooledActivations(model, harmful, opts.pooling, bs),
      counterfactual: pooledActivations(model, counterfactual, opts.pooling, bs),
      reasoning: pooledActivations(model, reasoning, opts.pooling, bs),
    },
    harmfulLogits: harmfulPass?.logits,
  };
}

/**
 * Full-vocabulary logits at the positions that predict each response token ([positions × vocab]),
 * for KL(π0‖πτ). Both models are run on the same sequences (πτ's own responses).
 */
export function responseLogits(model: CausalLM, seqs: ProbeSequence[], batchSize = DEFAULT_PROBE_BATCH): Float32Array {
  const V = model.config.vocabSize;
  const pad = model.config.padTokenId ?? 0;
  const rows: Float32Array[] = [];
  for (let s = 0; s < seqs.length; s += batchSize) {
    const batch = seqs.slice(s, s + batchSize);
    const { ids, mask } = leftPad(batch.map((x) => x.ids), pad);
    const T = ids[0].length;
    const logits = tf.tidy(() => model.forward(tf.tensor2d(ids, [ids.length, T], 'int32'), { attentionMask: tf.tensor2d(mask, [ids.length, T]) }).logits);
    pushResponseRows(rows, logits.dataSync() as Float32Array, batch, T, V);
    logits.dispose();
  }
  return concatRows(rows, V);
}
