/**
 * runJob: one monitored fine-tuning job, start to finish, driven by the BullMQ worker and by the
 * local runner alike.
 *
 *   base model ─► probes ─► safety / control neurons + step-0 metrics
 *        │
 *        └─► train ─► every checkpoint: save train state (HF format) ─► probes ─► metrics ─► alerts
 *
 * Resumable: every checkpoint (and a graceful shutdown) writes a full train state under
 * CHECKPOINT_DIR/<jobId>/state-<step>; a restarted job continues from the newest one, and all
 * database writes are upserts, so a checkpoint that runs twice is stored once.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { totalNeurons, type JobEvent, type JobSpec } from '@rimwatch/contracts';
import { keywordJudge, httpJudge, type RefusalJudge } from '@rimwatch/entanglement';
import {
  causalLmLoss,
  collate,
  createTrainer,
  DivergenceError,
  loadModel,
  loadPretrained,
  loadTrainState,
  TRAIN_STATE_FILE,
  type CausalLM,
  type TextTokenizer,
  type Trainer,
  type TrainExample,
} from '@rimwatch/model';
import { isBuiltinRef, resolveBuiltinModel } from '@rimwatch/organism';
import { evaluateAlerts, statesFromEvents } from './alerts';
import { loadChatFormatter, tokenizeExample } from './chat';
import { loadDataset } from './datasets';
import { JobInputError, JobStopped } from './errors';
import { METRIC } from './metric-keys';
import { baseline, checkpointMetrics, type Baseline } from './monitor';
import { measure, responseLogits, type MeasureOptions, type ProbeSet } from './probes';
import type { PipelineStore, StoredAlertEvent } from './store';
import { readBaseline, writeBaseline } from './baseline-file';

export interface Logger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export interface ProgressInfo {
  phase: 'baseline' | 'training' | 'checkpoint';
  step: number;
  totalSteps: number;
  loss: number | null;
  tokensPerSec: number;
  etaSec: number | null;
}

export interface JobContext {
  jobId: string;
  teamId: string;
  spec: JobSpec;
  store: PipelineStore;
  /** root of checkpoint artefacts; the job writes under <checkpointDir>/<jobId> */
  checkpointDir: string;
  /** polled at every step boundary: 'cancelled' stops and marks the job cancelled; 'shutdown' saves state and stops */
  shouldStop?: () => Promise<'cancelled' | 'shutdown' | undefined>;
  onEvent?: (e: JobEvent) => Promise<void> | void;
  onProgress?: (p: ProgressInfo) => Promise<void> | void;
  /** a newly fired or resolved alert (webhook delivery is the driver's business) */
  onAlert?: (a: StoredAlertEvent) => Promise<void> | void;
  log?: Logger;
  /** examples per generation / capture batch (default 16) */
  probeBatchSize?: number;
}

export interface JobResult {
  status: 'completed' | 'cancelled' | 'diverged' | 'stopped';
  step: number;
  checkpoints: number[];
  /** wall time of this run: measuring the base model, training steps, checkpoint monitoring (probes, metrics, writes) */
  timing: { baselineMs: number; trainMs: number; monitorMs: number };
}

const nullLog: Logger = { info() {}, warn() {}, error() {} };

export function resolveModelDir(ref: string): string {
  const dir = isBuiltinRef(ref) ? resolveBuiltinModel(ref).dir : ref;
  if (!existsSync(join(dir, 'config.json'))) throw new JobInputError(`model directory not found or has no config.json: ${dir}`);
  return dir;
}

/** Optimizer steps and the steps at which checkpoints are measured (always including the last). */
export function plan(spec: JobSpec, trainRows: number): { totalSteps: number; checkpointSteps: number[] } {
  const t = spec.training;
  const perStep = t.batchSize * t.gradAccumSteps;
  const totalSteps = t.maxSteps ?? Math.max(1, Math.ceil(((t.epochs ?? 1) * trainRows) / perStep));
  const steps = new Set<number>();
  if (spec.checkpoints.everySteps) {
    for (let s = spec.checkpoints.everySteps; s < totalSteps; s += spec.checkpoints.everySteps) steps.add(s);
  } else {
    const count = Math.min(spec.checkpoints.count ?? 8, totalSteps);
    for (let i = 1; i < count; i++) steps.add(Math.round((totalSteps * i) / count));
  }
  steps.add(totalSteps);
  return { totalSteps, checkpointSteps: [...steps].filter((s) => s > 0).sort((a, b) => a - b) };
}

function makeJudge(spec: JobSpec): RefusalJudge {
  const j = spec.monitor.judge;
  if (j.type === 'http') {
    if (!j.url) throw new JobInputError('spec.monitor.judge.url is required for an http judge');
    return httpJudge({ url: j.url });
  }
  return keywordJudge(j.phrases ? { phrases: j.phrases } : {});
}

const stateDirName = (step: number) => `state-${String(step).padStart(8, '0')}`;

/** The newest complete train state (trainer_state.json is written last) under the job dir. */
export function latestState(jobDir: string): { step: number; dir: string } | undefined {
  if (!existsSync(jobDir)) return undefined;
  const found = readdirSync(jobDir)
    .filter((d) => /^state-\d+$/.test(d) && existsSync(join(jobDir, d, TRAIN_STATE_FILE)))
    .map((d) => ({ step: Number(d.slice(6)), dir: join(jobDir, d) }))
    .sort((a, b) => b.step - a.step);
  return found[0];
}

function evalLoss(model: CausalLM, examples: TrainExample[], batchSize: number, maxSeqLen: number, padId: number): number {
  let sum = 0;
  let tokens = 0;
  for (let s = 0; s < examples.length; s += batchSize) {
    const b = collate(examples.slice(s, s + batchSize), { maxSeqLen, padId });
    if (!b.tokens) continue;
    const loss = tf.tidy(() => {
      const ids = tf.tensor2d(b.inputIds, [b.batchSize, b.seqLen], 'int32');
      return causalLmLoss(model.forward(ids).logits, ids, tf.tensor2d(b.lossMask, [b.batchSize, b.seqLen]));
    });
    sum += loss.dataSync()[0] * b.tokens;
    tokens += b.tokens;
    loss.dispose();
  }
  return tokens ? sum / tokens : NaN;
}

/** Loss statistics since the last checkpoint; saved with a mid-interval train state so resumes report the same mean. */
interface IntervalStats {
  lossSum: number;
  steps: number;
  tokens: number;
  ms: number;
}
const emptyInterval = (): IntervalStats => ({ lossSum: 0, steps: 0, tokens: 0, ms: 0 });

export async function runJob(ctx: JobContext): Promise<JobResult> {
  const { spec, store, jobId, teamId } = ctx;
  const log = ctx.log ?? nullLog;
  const now = () => new Date().toISOString();
  const emit = async (e: JobEvent) => {
    try {
      await ctx.onEvent?.(e);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'event publish failed');
    }
  };

  // ---- resolve inputs (errors here fail the job with a message naming the input) ----
  const modelDir = resolveModelDir(spec.model);
  const lookup = (id: string) => store.datasetFile(teamId, id);
  const [trainRows, pairRows, probeRows, evalRows] = await Promise.all([
    loadDataset(spec.datasets.train, 'chat', lookup),
    loadDataset(spec.datasets.safetyPairs, 'safety-pair', lookup),
    loadDataset(spec.datasets.reasoningProbes, 'reasoning-probe', lookup),
    spec.datasets.eval ? loadDataset(spec.datasets.eval, 'chat', lookup) : Promise.resolve(undefined),
  ]);
  const { model, tokenizer } = loadPretrained(modelDir);
  if (!tokenizer) throw new JobInputError(`model directory ${modelDir} has no tokenizer.json; rimwatch needs one to generate probe responses`);
  const tok: TextTokenizer = tokenizer;
  const fmt = loadChatFormatter(modelDir);
  const limit = spec.monitor.probeLimit ?? Infinity;
  const pairs = pairRows.slice(0, limit);
  const probes: ProbeSet = {
    harmful: pairs.map((p) => p.harmful),
    counterfactual: pairs.map((p) => p.counterfactual),
    reasoning: probeRows.slice(0, limit).map((r) => ({ question: r.question, answer: r.answer })),
  };
  const train = trainRows.map((r) => tokenizeExample(tok, fmt, r));
  const evalSet = evalRows?.map((r) => tokenizeExample(tok, fmt, r));
  const judge = makeJudge(spec);
  const imEnd = tok.tokenToId('<|im_end|>');
  const stopTokenIds = [...new Set([tok.eosTokenId, imEnd, ...([] as number[]).concat(model.config.eosTokenId ?? [])].filter((x): x is number => x !== undefined))];
  const mopts: MeasureOptions = { maxNewTokens: spec.monitor.maxNewTokens, pooling: spec.monitor.pooling, judge, batchSize: ctx.probeBatchSize, stopTokenIds };
  const padId = model.config.padTokenId ?? tok.padTokenId ?? tok.eosTokenId ?? 0;
  const { totalSteps, checkpointSteps } = plan(spec, train.length);
  const jobDir = join(ctx.checkpointDir, jobId);
  mkdirSync(jobDir, { recursive: true });
  const layout = model.neuronLayout;
  let baseModel: CausalLM | undefined;
  let trainer: Trainer | undefined;
  const timing = { baselineMs: 0, trainMs: 0, monitorMs: 0 };

  try {
    await store.setStatus(jobId, 'running');
    await emit({ type: 'status', jobId, at: now(), status: 'running' });
    const rules = await store.alertRules(teamId, jobId, spec);
    const tBase = performance.now();
    let alertStates = statesFromEvents(await store.alertEvents(jobId));

    const evaluate = async (step: number) => {
      const history = await store.metricHistory(jobId, [...new Set(rules.map((r) => r.metric))]);
      const r = evaluateAlerts(rules, history, step, alertStates);
      alertStates = r.states;
      for (const t of r.transitions) {
        const rule = rules.find((x) => x.id === t.ruleId)!;
        const { event, created } = await store.recordAlert(teamId, jobId, rule, t);
        if (!created) continue;
        log.warn({ rule: rule.name, step, value: t.value, state: t.state }, 'alert');
        await emit({ type: 'alert', jobId, at: now(), ruleId: rule.id, metric: rule.metric, comparator: rule.comparator, threshold: rule.threshold, mode: rule.mode, value: t.value, step, state: t.state, message: `${rule.name}: ${rule.metric} = ${t.value.toFixed(4)} at step ${step} (${t.state})` });
        await ctx.onAlert?.(event);
      }
    };

    // ---- step 0: the base model ----
    let base: Baseline | undefined = readBaseline(jobDir);
    if (!base) {
      await ctx.onProgress?.({ phase: 'baseline', step: 0, totalSteps, loss: null, tokensPerSec: 0, etaSec: null });
      const m0 = await measure(model, tok, fmt, probes, mopts);
      base = baseline(m0, layout, spec.monitor);
      writeBaseline(jobDir, base);
      log.info({ safetyNeurons: base.safety.neurons.length, of: totalNeurons(layout), refusal: base.refusalRate, accuracy: base.reasoningAccuracy }, 'baseline measured');
      const values = checkpointMetrics(base, m0, { evalLoss: evalSet ? evalLoss(model, evalSet, spec.training.batchSize, spec.training.maxSeqLen, padId) : undefined });
      values[METRIC.klToBase] = 0; // π0 against itself
      await store.saveNeuronSets(jobId, base, layout, { topM: spec.monitor.topM, topFraction: spec.monitor.topFraction, minSupport: spec.monitor.minSupport, pooling: spec.monitor.pooling });
      await store.upsertMetrics(jobId, 0, values, judge.id);
      await emit({ type: 'checkpoint', jobId, at: now(), step: 0 });
      await evaluate(0);
    }
    timing.baselineMs = performance.now() - tBase;
    baseModel = loadModel(modelDir); // frozen π0 for KL

    // ---- training, from the newest saved state when there is one ----
    const resume = latestState(jobDir);
    const trainerOptions = {
      lr: spec.training.learningRate,
      warmupRatio: spec.training.warmupRatio,
      schedule: spec.training.schedule,
      totalSteps,
      weightDecay: spec.training.weightDecay,
      gradClip: spec.training.gradClip,
      accumSteps: spec.training.gradAccumSteps,
      batchSize: spec.training.batchSize,
      maxSeqLen: spec.training.maxSeqLen,
      seed: spec.training.seed,
      padId,
      lora: spec.training.lora ? { rank: spec.training.lora.rank, alpha: spec.training.lora.alpha, targets: spec.training.lora.targets, seed: spec.training.seed } : undefined,
    };
    let stats: IntervalStats = emptyInterval();
    if (resume) {
      trainer = loadTrainState(model, resume.dir);
      const saved = join(resume.dir, 'interval.json');
      if (existsSync(saved)) stats = JSON.parse(readFileSync(saved, 'utf8')) as IntervalStats;
      log.info({ step: resume.step, from: resume.dir }, 'resuming from saved train state');
    } else {
      trainer = createTrainer(model, trainerOptions);
    }
    const done: number[] = [];
    const runStart = Date.now();
    const startStep = trainer.globalStep;
    let lastProgress = 0;

    /** `carry`: loss statistics the next run continues with; `closed`: the interval a checkpoint closes (kept to re-measure it). */
    const saveState = (step: number, carry: IntervalStats, closed?: IntervalStats) => {
      const dir = join(jobDir, stateDirName(step));
      trainer!.saveState(dir);
      writeFileSync(join(dir, 'interval.json'), JSON.stringify(carry));
      if (closed) writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify(closed));
      for (const f of ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) {
        if (existsSync(join(modelDir, f))) copyFileSync(join(modelDir, f), join(dir, f));
      }
      return dir;
    };

    /**
     * Measures the model at a checkpoint and stores it. The Checkpoint row is written last: it marks
     * the checkpoint as complete, so a job killed anywhere before it re-measures this step on resume.
     */
    const recordCheckpoint = async (step: number, dir: string, closed: IntervalStats) => {
      const tMonitor = performance.now();
      const m = await measure(model, tok, fmt, probes, { ...mopts, twins: spec.monitor.twinsEveryCheckpoint ?? false, harmfulLogits: true });
      // sequences without a response add no rows, so the tuned rows from the activation pass line up
      const klSeqs = m.harmful.filter((q) => q.ids.length > q.promptLength);
      const values = checkpointMetrics(base!, m, {
        klLogits: klSeqs.length ? { base: responseLogits(baseModel!, klSeqs), tuned: m.harmfulLogits!, vocabSize: model.config.vocabSize } : undefined,
        train: { loss: closed.steps ? closed.lossSum / closed.steps : undefined, lr: trainer!.lrAt(step - 1), tokensPerSec: closed.ms > 0 ? closed.tokens / (closed.ms / 1000) : undefined },
        evalLoss: evalSet ? evalLoss(model, evalSet, spec.training.batchSize, spec.training.maxSeqLen, padId) : undefined,
      });
      await store.upsertMetrics(jobId, step, values, judge.id);
      await evaluate(step);
      await store.upsertCheckpoint(jobId, step, (step * spec.training.batchSize * spec.training.gradAccumSteps) / train.length, dir);
      done.push(step);
      log.info({ step, misalignment: values[METRIC.misalignmentRate], rasSafety: values['ras.safety'], rasControl: values['ras.control'] }, 'checkpoint');
      await emit({ type: 'checkpoint', jobId, at: now(), step });
      timing.monitorMs += performance.now() - tMonitor;
    };

    // killed after saving a checkpoint's state but before its row was written: measure it now
    if (resume && checkpointSteps.includes(resume.step) && !(await store.hasCheckpoint(jobId, resume.step))) {
      const closedFile = join(resume.dir, 'checkpoint.json');
      const closed = existsSync(closedFile) ? (JSON.parse(readFileSync(closedFile, 'utf8')) as IntervalStats) : emptyInterval();
      log.info({ step: resume.step }, 'measuring the checkpoint an interrupted run saved but did not record');
      await recordCheckpoint(resume.step, resume.dir, closed);
    }

    for (const target of checkpointSteps) {
      if (target <= trainer.globalStep) continue;
      while (trainer.globalStep < target) {
        const stop = await ctx.shouldStop?.();
        if (stop) {
          if (stop === 'shutdown') saveState(trainer.globalStep, stats);
          throw new JobStopped(stop);
        }
        let r;
        const tStep = performance.now();
        try {
          [r] = trainer.trainSteps(1, train);
        } catch (e) {
          if (e instanceof DivergenceError) {
            log.error({ step: e.step, which: e.which, param: e.param }, e.message);
            await store.upsertMetrics(jobId, e.step, { [METRIC.diverged]: 1 });
            await evaluate(e.step);
            await store.setStatus(jobId, 'diverged', e.message);
            await emit({ type: 'status', jobId, at: now(), status: 'diverged', error: e.message });
            return { status: 'diverged', step: e.step, checkpoints: done, timing };
          }
          throw e;
        }
        timing.trainMs += performance.now() - tStep;
        stats = { lossSum: stats.lossSum + r.loss, steps: stats.steps + 1, tokens: stats.tokens + r.tokens, ms: stats.ms + r.ms };
        const elapsed = (Date.now() - runStart) / 1000;
        const perStep = elapsed / Math.max(1, trainer.globalStep - startStep);
        if (Date.now() - lastProgress > 1000 || trainer.globalStep === target) {
          lastProgress = Date.now();
          const p = { phase: 'training' as const, step: r.step, totalSteps, loss: r.loss, tokensPerSec: r.tokens / (r.ms / 1000), etaSec: Math.round(perStep * (totalSteps - r.step)) };
          await ctx.onProgress?.(p);
          await emit({ type: 'progress', jobId, at: now(), step: p.step, totalSteps, loss: p.loss, tokensPerSec: p.tokensPerSec, etaSec: p.etaSec });
        }
        await new Promise((res) => setImmediate(res)); // let timers and I/O (lock renewal, signals) run between steps
      }

      // ---- checkpoint ----
      const step = trainer.globalStep;
      await ctx.onProgress?.({ phase: 'checkpoint', step, totalSteps, loss: stats.steps ? stats.lossSum / stats.steps : null, tokensPerSec: stats.tokens / Math.max(1e-9, stats.ms / 1000), etaSec: null });
      const dir = saveState(step, emptyInterval(), stats);
      await recordCheckpoint(step, dir, stats);
      stats = emptyInterval();
    }

    await store.setStatus(jobId, 'completed');
    await emit({ type: 'status', jobId, at: now(), status: 'completed' });
    return { status: 'completed', step: trainer.globalStep, checkpoints: done, timing };
  } catch (e) {
    if (e instanceof JobStopped) {
      if (e.reason === 'cancelled') {
        await store.setStatus(jobId, 'cancelled');
        await emit({ type: 'status', jobId, at: now(), status: 'cancelled' });
        return { status: 'cancelled', step: trainer?.globalStep ?? 0, checkpoints: [], timing };
      }
      return { status: 'stopped', step: trainer?.globalStep ?? 0, checkpoints: [], timing };
    }
    throw e;
  } finally {
    trainer?.dispose();
    baseModel?.dispose();
    model.dispose();
  }
}
