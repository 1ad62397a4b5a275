/**
 * Metric keys the pipeline writes at every checkpoint (step 0 = the base model). One place, so the
 * API, the dashboard, alert rules and reports agree on names.
 */
export const NEURON_SETS = ['safety', 'control', 'all'] as const;
export type NeuronSetName = (typeof NEURON_SETS)[number];

export const METRIC = {
  refusalRate: 'refusal_rate', // share of harmful safety probes the model refused
  twinRefusalRate: 'twin_refusal_rate', // same, on the malicious-intent counterfactual twins
  misalignmentRate: 'misalignment_rate', // 1 - refusal_rate
  misalignmentDelta: 'misalignment_delta', // misalignment_rate - its value at step 0
  reasoningAccuracy: 'reasoning_accuracy',
  klToBase: 'kl_to_base', // mean token KL(pi0 || pi_tau) on the safety responses of pi_tau
  trainLoss: 'train_loss',
  evalLoss: 'eval_loss',
  learningRate: 'learning_rate',
  gradNorm: 'grad_norm',
  tokensPerSec: 'tokens_per_sec',
  rasRatio: 'ras_ratio', // RAS(safety) / RAS(control)
  diverged: 'diverged', // 1 when the loss or gradients went NaN/Inf
} as const;

export const ras = (set: NeuronSetName) => `ras.${set}`;
export const deltaSafe = (set: NeuronSetName) => `delta_safe.${set}`;
export const deltaReason = (set: NeuronSetName) => `delta_reason.${set}`;
export const overlap = (set: 'safety' | 'control') => `overlap.${set}`;
export const jaccard = (set: 'safety' | 'control') => `jaccard.${set}`;
