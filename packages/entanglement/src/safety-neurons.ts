/**
 * Safety-critical neurons (paper §4.1.1). For each counterfactual pair k (harmful prompt D, and D̃ =
 * D plus an explicit malicious-intent sentence that makes the model refuse), A(k) is the top-m
 * neurons by f(D̃k) − f(Dk); the paper's safety set is ∩k A(k). A strict intersection over many pairs
 * is often empty, so `minSupport` keeps neurons found in at least that fraction of the pairs
 * (1 = the paper's intersection) and the support histogram shows how the choice plays out.
 */
import { type NeuronLayout, perLayerCounts, totalNeurons } from '@rimwatch/contracts';
import { topKIndices, type TopKScratch } from './select';
import { assertFloat32, assertSameLength, resolveCount } from './validate';

export interface CounterfactualPair {
  /** max-pooled MLP activations for the harmful prompt D (+ the model's response), one per neuron */
  harmful: Float32Array;
  /** the same for D̃ = D + malicious-intent sentence */
  counterfactual: Float32Array;
}

export interface SafetyNeuronOptions {
  /** m as a count of neurons per pair */
  topM?: number;
  /** m as a fraction of all neurons (rounded to the nearest count, at least 1) */
  topFraction?: number;
  /** fraction of pairs a neuron must be in the top-m of; 1 (default) = the paper's intersection */
  minSupport?: number;
  /** when given, the result includes the safety set's count per layer */
  layout?: NeuronLayout;
}

export interface SafetyNeuronResult {
  /** the safety set: sorted flat neuron indices */
  neurons: number[];
  /** support of each selected neuron (number of pairs whose top-m contains it), parallel to `neurons` */
  support: number[];
  /** support of every neuron (length = total neurons) */
  supportCounts: Uint32Array;
  /** supportHistogram[c] = number of neurons in exactly c pairs' top-m, c = 0..pairs */
  supportHistogram: number[];
  /** the resolved m */
  m: number;
  pairs: number;
  /** the support a neuron needed: ceil(minSupport × pairs) */
  requiredSupport: number;
  minSupport: number;
  totalNeurons: number;
  size: number;
  /** count per layer, when a layout was given */
  perLayer?: number[];
}

export function identifySafetyNeurons(
  pairs: readonly CounterfactualPair[],
  opts: SafetyNeuronOptions = {},
): SafetyNeuronResult {
  if (!Array.isArray(pairs) || pairs.length === 0) {
    throw new TypeError('pairs must be a non-empty array of { harmful, counterfactual } activation vectors');
  }
  const minSupport = opts.minSupport ?? 1;
  if (typeof minSupport !== 'number' || !(minSupport > 0 && minSupport <= 1)) {
    throw new RangeError(`minSupport must be a number in (0, 1], got ${minSupport}`);
  }
  assertFloat32('pairs[0].harmful', pairs[0]?.harmful);
  const total = pairs[0].harmful.length;
  if (total === 0) throw new RangeError('pairs[0].harmful is empty: activation vectors need one value per neuron');
  if (opts.layout && totalNeurons(opts.layout) !== total) {
    throw new RangeError(`layout has ${totalNeurons(opts.layout)} neurons but the activation vectors have ${total}`);
  }
  const m = resolveCount('topM', opts.topM, 'topFraction', opts.topFraction, total);
  const K = pairs.length;
  // the small tolerance stops 0.9 × 10 = 9.000000000000002 from demanding 10 pairs
  const requiredSupport = Math.max(1, Math.ceil(minSupport * K - 1e-9));

  const supportCounts = new Uint32Array(total);
  const diff = new Float64Array(total);
  const scratch: TopKScratch = {};
  for (let k = 0; k < K; k++) {
    const { harmful, counterfactual } = pairs[k];
    assertFloat32(`pairs[${k}].harmful`, harmful);
    assertFloat32(`pairs[${k}].counterfactual`, counterfactual);
    assertSameLength(`pairs[${k}].harmful`, harmful, total, 'pairs[0].harmful');
    assertSameLength(`pairs[${k}].counterfactual`, counterfactual, total, 'pairs[0].harmful');
    for (let i = 0; i < total; i++) {
      const d = counterfactual[i] - harmful[i];
      if (d - d !== 0) {
        const bad = harmful[i] - harmful[i] !== 0 ? `pairs[${k}].harmful[${i}] = ${harmful[i]}` : `pairs[${k}].counterfactual[${i}] = ${counterfactual[i]}`;
        throw new RangeError(`${bad} is not a finite number`);
      }
      diff[i] = d;
    }
    const top = topKIndices(diff, m, scratch);
    for (let i = 0; i < m; i++) supportCounts[top[i]]++;
  }

  const supportHistogram = new Array<number>(K + 1).fill(0);
  const neurons: number[] = [];
  const support: number[] = [];
  for (let i = 0; i < total; i++) {
    const c = supportCounts[i];
    supportHistogram[c]++;
    if (c >= requiredSupport) {
      neurons.push(i);
      support.push(c);
    }
  }
  return {
    neurons,
    support,
    supportCounts,
    supportHistogram,
    m,
    pairs: K,
    requiredSupport,
    minSupport,
    totalNeurons: total,
    size: neurons.length,
    ...(opts.layout ? { perLayer: perLayerCounts(opts.layout, neurons) } : {}),
  };
}
