/**
 * @rimwatch/entanglement: the science of rimwatch (arXiv 2509.00544 §4.1–4.2) as pure TypeScript over
 * typed arrays — safety-critical and control neurons, Reciprocal Activation Shift, activation
 * overlap, refusal judges, forgetting (rates, KL), reasoning accuracy, correlation. See README.md.
 */
export { identifySafetyNeurons } from './safety-neurons';
export type { CounterfactualPair, SafetyNeuronOptions, SafetyNeuronResult } from './safety-neurons';
export { sampleControlNeurons, CONTROL_SAMPLER_ID } from './control';
export type { ControlNeuronOptions, ControlNeuronResult } from './control';
export { reciprocalActivationShift, rasForSets, meanActivations, ActivationMean, harmonicRas, DEFAULT_EPSILON } from './ras';
export type { RasActivations, RasOptions, RasResult, RasForSetsResult, NegativeActivationMode } from './ras';
export { activationOverlap } from './overlap';
export type { OverlapOptions, OverlapResult, SetOverlap } from './overlap';
export { keywordJudge, httpJudge, JudgeError, DEFAULT_REFUSAL_PHRASES, stripThinkingSpan } from './judges';
export type { JudgeVerdict, RefusalJudge, KeywordJudge, KeywordJudgeOptions, HttpJudgeOptions } from './judges';
export { refusalRate, misalignmentRate, rateChange, klDivergence, klPerPosition } from './forgetting';
export type { Verdict, MisalignmentOptions, RateChange, KlOptions } from './forgetting';
export { reasoningAccuracy, hashAnswer, lastNumber, boxedAnswer, defaultAnswer, normalizeAnswer } from './accuracy';
export type { AnswerExtractor, AccuracyItem, AccuracyResult } from './accuracy';
export { pearson, spearman, correlationPValue, averageRanks } from './correlation';
export type { PearsonResult, SpearmanResult } from './correlation';
export { topKIndices } from './select';
