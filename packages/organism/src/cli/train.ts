/**
 * npm run organism:train [-- --steps N --fresh --backend wasm --save-every 50]
 *
 * Trains rim-organism-v1 from scratch on builtin:base-mix with @rimwatch/model's trainer and saves
 * it in Hugging Face format to packages/organism/models/rim-organism-v1/. Resumable: the train state
 * (weights, AdamW moments, data cursor) is saved every --save-every steps and on Ctrl-C to
 * packages/organism/.train-state/; running the command again continues from there.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { createModel, initBackend, loadModel, saveModel } from '@rimwatch/model';
// the trainer is not re-exported from the package root (yet)
import { loadTrainState, readTrainStateJson, Trainer, TRAIN_STATE_FILE, type TrainExample } from '@rimwatch/model/src/train';
import { tokenizeChat, type ChatExample } from '../chat-format';
import { readJsonl } from '../io';
import { writeModelCard, type TrainingRecord } from '../model-card';
import { organismConfig, ORGANISM_TRAIN, specialIds } from '../organism';
import { BUILTIN_DATASETS, BUILTIN_MODELS, ORGANISM_ROOT } from '../registry';
import { loadTokenizer, TOKENIZER_DIR } from '../tokenizer';
import { positiveInt } from './args';

const DEFAULT_STATE_DIR = join(ORGANISM_ROOT, '.train-state');

interface CurvePoint { step: number; loss: number; lr: number; tokens: number; ms: number }
interface Progress { curve: CurvePoint[]; wallMs: number; sessions: number }


async function main() {
  const program = new Command()
    .name('organism:train')
    .option('--steps <n>', 'optimizer updates in total (the shipped model: 6000)', positiveInt('steps'), 6000)
    .option('--save-every <n>', 'save the train state every n steps', positiveInt('save-every'), 50)
    .option('--state-dir <dir>', 'train state directory', DEFAULT_STATE_DIR)
    .option('--out <dir>', 'model output directory', BUILTIN_MODELS['rim-organism-v1'].dir)
    .option('--backend <name>', 'tfjs backend (wasm, cpu, webgpu, tensorflow, auto)', process.env.RIMWATCH_BACKEND ?? 'wasm')
    .option('--fresh', 'ignore a saved train state and start over')
    .option('--init-from <dir>', 'start from the weights of a model directory (a further training phase) instead of random init')
    .option('--lr <x>', 'peak learning rate', Number, ORGANISM_TRAIN.lr)
    .option('--no-progress', 'log lines instead of a progress bar')
    .parse();
  const o = program.opts<{ steps: number; saveEvery: number; stateDir: string; out: string; backend: string; fresh?: boolean; progress: boolean; initFrom?: string; lr: number }>();
  if (!(o.lr > 0)) throw new Error(`--lr must be a positive number, got ${o.lr}`);
  // a previous phase's record, read before --out (possibly the same directory) is overwritten
  const previous: TrainingRecord | undefined = o.initFrom && existsSync(join(o.initFrom, 'training.json')) ? JSON.parse(readFileSync(join(o.initFrom, 'training.json'), 'utf8')) : undefined;

  const backend = await initBackend(o.backend);
  const hf = loadTokenizer(TOKENIZER_DIR);
  const ids = specialIds((t) => hf.token_to_id(t));
  const vocabSize = Object.keys((JSON.parse(readFileSync(join(TOKENIZER_DIR, 'tokenizer.json'), 'utf8')).model.vocab)).length;
  const rows = readJsonl<ChatExample>(BUILTIN_DATASETS['base-mix'].path);
  const examples: TrainExample[] = rows.map((r, i) => {
    try {
      return tokenizeChat(hf, r);
    } catch (e) {
      throw new Error(`base-mix row ${i + 1}: ${(e as Error).message}`);
    }
  });
  const config = organismConfig(vocabSize, ids);
  const model = o.initFrom ? loadModel(o.initFrom) : createModel(config, { seed: ORGANISM_TRAIN.seed });
  if (o.initFrom && JSON.stringify(model.neuronLayout) + model.config.vocabSize !== JSON.stringify(createModel(config).neuronLayout) + vocabSize) {
    throw new Error(`--init-from ${o.initFrom}: its architecture or vocabulary differs from the organism's`);
  }
  const nParams = [...model.params.values()].reduce((a, p) => a + p.size, 0);

  const progressPath = join(o.stateDir, 'progress.json');
  let trainer: Trainer;
  let progress: Progress = { curve: [], wallMs: 0, sessions: 0 };
  if (o.fresh) rmSync(o.stateDir, { recursive: true, force: true });
  if (existsSync(join(o.stateDir, TRAIN_STATE_FILE))) {
    const saved = readTrainStateJson(o.stateDir);
    if (saved.options.totalSteps !== o.steps) {
      throw new Error(`saved train state in ${o.stateDir} plans ${saved.options.totalSteps} steps, --steps is ${o.steps}; pass --steps ${saved.options.totalSteps} to resume or --fresh to start over`);
    }
    trainer = loadTrainState(model, o.stateDir);
    if (existsSync(progressPath)) progress = JSON.parse(readFileSync(progressPath, 'utf8'));
    progress.curve = progress.curve.filter((p) => p.step <= trainer.globalStep);
    console.error(`resuming from step ${trainer.globalStep}/${o.steps} (${o.stateDir})`);
  } else {
    trainer = new Trainer(model, { ...ORGANISM_TRAIN, lr: o.lr, totalSteps: o.steps, padId: ids.eos });
  }
  progress.sessions++;
  const totalTokens = examples.reduce((a, e) => a + e.ids.length, 0);
  console.error(
    `rim-organism-v1: ${config.modelType} ${config.numLayers}x${config.hiddenSize} (d_mlp ${config.intermediateSize}), ${(nParams / 1e6).toFixed(2)}M params, vocab ${vocabSize}; ` +
      `base-mix ${examples.length} examples / ${totalTokens} tokens; backend ${backend}; ${o.steps} steps x ${ORGANISM_TRAIN.batchSize}`,
  );

  let stop = false;
  const onSignal = () => {
    if (stop) process.exit(130);
    stop = true;
    console.error('\nstopping after this step; saving the train state (Ctrl-C again to quit without saving)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const bar = o.progress ? new SingleBar({ format: 'train [{bar}] {value}/{total} | loss {loss} | {tps} tok/s | ETA {eta_formatted}', etaBuffer: 50 }, Presets.shades_classic) : undefined;
  bar?.start(o.steps, trainer.globalStep, { loss: '-', tps: '-' });
  const save = () => {
    trainer.saveState(o.stateDir);
    writeFileSync(progressPath, JSON.stringify(progress));
  };
  let sessionStart = performance.now();
  let winTok = 0;
  let winMs = 0;
  while (trainer.globalStep < o.steps && !stop) {
    const [r] = trainer.trainSteps(1, examples);
    progress.curve.push({ step: r.step, loss: +r.loss.toFixed(4), lr: r.lr, tokens: r.tokens, ms: Math.round(r.ms) });
    winTok += r.tokens;
    winMs += r.ms;
    const tps = Math.round((winTok / winMs) * 1000);
    if (bar) bar.update(r.step, { loss: r.loss.toFixed(3), tps });
    else if (r.step % 10 === 0) console.error(`step ${r.step}/${o.steps} loss ${r.loss.toFixed(3)} lr ${r.lr.toExponential(2)} ${tps} tok/s`);
    if (r.step % 20 === 0) winTok = winMs = 0;
    if (r.step % o.saveEvery === 0 || r.step === o.steps) {
      progress.wallMs += performance.now() - sessionStart;
      sessionStart = performance.now();
      save();
    }
    await new Promise((res) => setImmediate(res)); // let Ctrl-C through between steps
  }
  bar?.stop();
  progress.wallMs += performance.now() - sessionStart;
  save();
  if (stop && trainer.globalStep < o.steps) {
    console.error(`saved at step ${trainer.globalStep}; run the command again to resume`);
    return;
  }

  mkdirSync(o.out, { recursive: true });
  saveModel(model, o.out, { copyFilesFrom: TOKENIZER_DIR });
  writeFileSync(
    join(o.out, 'generation_config.json'),
    JSON.stringify({ eos_token_id: [ids.imEnd, ids.eos], pad_token_id: ids.eos, do_sample: false, max_new_tokens: 128 }, null, 2) + '\n',
  );
  const trainTokens = progress.curve.reduce((a, p) => a + p.tokens, 0);
  const trainMs = progress.curve.reduce((a, p) => a + p.ms, 0);
  const record: TrainingRecord = {
    architecture: config.modelType,
    params: nParams,
    layers: config.numLayers,
    hiddenSize: config.hiddenSize,
    heads: config.numHeads,
    intermediateSize: config.intermediateSize,
    maxPositions: config.maxPositions,
    vocabSize,
    dataset: 'builtin:base-mix',
    examples: examples.length,
    datasetTokens: totalTokens,
    options: { ...trainer.options } as unknown as Record<string, unknown>,
    steps: trainer.globalStep,
    backend,
    wallSeconds: Math.round(progress.wallMs / 1000),
    sessions: progress.sessions,
    targetTokensPerSecond: Math.round((trainTokens / trainMs) * 1000),
    finalLoss: meanLoss(progress.curve.slice(-20)),
    curve: downsample(progress.curve, 50),
  };
  if (previous) {
    // this run continued an earlier phase: report the whole history
    record.phases = [...(previous.phases ?? [{ steps: previous.steps, lr: Number(previous.options.lr), wallSeconds: previous.wallSeconds }]), { steps: record.steps, lr: o.lr, wallSeconds: record.wallSeconds }];
    record.curve = [...previous.curve, ...record.curve.map((p) => ({ step: p.step + previous.steps, loss: p.loss }))];
    record.steps += previous.steps;
    record.wallSeconds += previous.wallSeconds;
  }
  writeFileSync(join(o.out, 'training.json'), JSON.stringify(record, null, 2) + '\n');
  writeModelCard(o.out);
  console.error(`saved ${o.out} (${record.steps} steps, ${record.wallSeconds} s wall, final loss ${record.finalLoss.toFixed(3)})`);
}

function meanLoss(c: CurvePoint[]): number {
  return c.length ? c.reduce((a, p) => a + p.loss, 0) / c.length : NaN;
}

/** mean loss over n equal windows of the curve */
function downsample(c: CurvePoint[], n: number): { step: number; loss: number }[] {
  const out: { step: number; loss: number }[] = [];
  const w = Math.max(1, Math.ceil(c.length / n));
  for (let i = 0; i < c.length; i += w) {
    const win = c.slice(i, i + w);
    out.push({ step: win[win.length - 1].step, loss: +meanLoss(win).toFixed(4) });
  }
  return out;
}

main().catch((e) => {
  console.error(`organism:train: ${(e as Error).message}`);
  process.exit(1);
});
