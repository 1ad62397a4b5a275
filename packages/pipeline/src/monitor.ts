/**
 * From measurements to metrics. `baseline()` runs once on the base model: it picks the
 * safety-critical neurons (counterfactual pairs, §4.1.1) and the seeded control neurons, and keeps
 * the base model's mean activations. `checkpointMetrics()` turns a checkpoint's measurement into the
 * stored metric values (keys in metric-keys.ts).
 */
import type { NeuronLayout } from '@rimwatch/contracts';
import {
  activationOverlap,
  identifySafetyNeurons,
  klDivergence,
  meanActivations,
  rasForSets,
  sampleControlNeurons,
  type SafetyNeuronResult,
  type ControlNeuronResult,
} from '@rimwatch/entanglement';
import type { Measurement } from './probes';
import { METRIC, NEURON_SETS, deltaReason, deltaSafe, jaccard, overlap, ras } from './metric-keys';

export interface MonitorSettings {
  topM?: number;
  topFraction?: number;
  minSupport: number;
  control: { seed: number; matchPerLayer: boolean };
}

export interface Baseline {
  safety: SafetyNeuronResult;
  control: ControlNeuronResult;
  /** base model's mean activation on the harmful safety prompts (a0) and on the reasoning probes (r0) */
  safetyMean: Float32Array;
  reasoningMean: Float32Array;
  refusalRate: number;
  twinRefusalRate: number;
  reasoningAccuracy: number;
}

const rate = (xs: boolean[]) => (xs.length ? xs.filter(Boolean).length / xs.length : 0);

export function baseline(m: Measurement, layout: NeuronLayout, s: MonitorSettings): Baseline {
  const pairs = m.acts.harmful.map((harmful, i) => ({ harmful, counterfactual: m.acts.counterfactual[i] }));
  const safety = identifySafetyNeurons(pairs, { topM: s.topM, topFraction: s.topM === undefined ? s.topFraction : undefined, minSupport: s.minSupport, layout });
  const control = sampleControlNeurons(safety.neurons, layout, { seed: s.control.seed, matchPerLayer: s.control.matchPerLayer });
  return {
    safety,
    control,
    safetyMean: meanActivations(m.acts.harmful, 'harmful activations'),
    reasoningMean: meanActivations(m.acts.reasoning, 'reasoning activations'),
    refusalRate: rate(m.refusedHarmful),
    twinRefusalRate: rate(m.refusedCounterfactual),
    reasoningAccuracy: m.reasoningTotal ? m.reasoningCorrect / m.reasoningTotal : 0,
  };
}

export interface CheckpointExtras {
  /** [positions × vocab] logits of the base and the tuned model on the tuned model's harmful-prompt responses */
  klLogits?: { base: Float32Array; tuned: Float32Array; vocabSize: number };
  train?: { loss?: number; lr?: number; gradNorm?: number; tokensPerSec?: number };
  evalLoss?: number;
}

export function checkpointMetrics(base: Baseline, m: Measurement, extras: CheckpointExtras = {}): Record<string, number> {
  const refusal = rate(m.refusedHarmful);
  const out: Record<string, number> = {
    [METRIC.refusalRate]: refusal,
    ...(m.counterfactual.length ? { [METRIC.twinRefusalRate]: rate(m.refusedCounterfactual) } : {}),
    [METRIC.misalignmentRate]: 1 - refusal,
    [METRIC.misalignmentDelta]: 1 - refusal - (1 - base.refusalRate),
    [METRIC.reasoningAccuracy]: m.reasoningTotal ? m.reasoningCorrect / m.reasoningTotal : 0,
  };
  const acts = {
    safetyBase: base.safetyMean,
    safetyTuned: meanActivations(m.acts.harmful, 'harmful activations'),
    reasoningBase: base.reasoningMean,
    reasoningTuned: meanActivations(m.acts.reasoning, 'reasoning activations'),
  };
  const sets = { safety: base.safety.neurons, control: base.control.neurons };
  const r = rasForSets(acts, sets);
  for (const set of NEURON_SETS) {
    out[ras(set)] = r[set].ras;
    out[deltaSafe(set)] = r[set].deltaSafe;
    out[deltaReason(set)] = r[set].deltaReason;
  }
  if (r.ratio !== null && Number.isFinite(r.ratio)) out[METRIC.rasRatio] = r.ratio;
  if (base.safety.neurons.length > 0) {
    // top-k risen reasoning neurons, k = the safety-set size, so a set's fraction has a chance level of k/N
    const ov = activationOverlap(acts, sets, { topK: base.safety.neurons.length });
    for (const set of ['safety', 'control'] as const) {
      out[overlap(set)] = ov.sets[set].fraction;
      out[jaccard(set)] = ov.sets[set].jaccard;
    }
  }
  if (extras.klLogits && extras.klLogits.base.length > 0) {
    out[METRIC.klToBase] = klDivergence(extras.klLogits.base, extras.klLogits.tuned, extras.klLogits.vocabSize);
  }
  const t = extras.train ?? {};
  if (t.loss !== undefined) out[METRIC.trainLoss] = t.loss;
  if (t.lr !== undefined) out[METRIC.learningRate] = t.lr;
  if (t.gradNorm !== undefined) out[METRIC.gradNorm] = t.gradNorm;
  if (t.tokensPerSec !== undefined) out[METRIC.tokensPerSec] = t.tokensPerSec;
  if (extras.evalLoss !== undefined) out[METRIC.evalLoss] = extras.evalLoss;
  for (const [k, v] of Object.entries(out)) if (!Number.isFinite(v)) delete out[k];
  return out;
}
