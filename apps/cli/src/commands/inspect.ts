// `rimwatch inspect`: run a model on token ids and dump logits, loss, MLP activations, attention
// patterns (and gradients) as float32 safetensors, named like HF / TransformerLens, for comparison
// with other implementations.
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { CliError } from '../errors';

interface InspectOptions {
  model: string;
  ids: string;
  out: string;
  grads?: boolean;
  backend?: string;
}

/** IDS.json: [[ids...], ...], equal lengths, at least 2 tokens (the loss is next-token prediction). */
export function readIds(file: string, vocabSize?: number): number[][] {
  if (!fs.existsSync(file)) throw new CliError(`--ids: file not found: ${file}`);
  let rows: unknown;
  try {
    rows = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CliError(`--ids: ${file} is not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(rows) || rows.length === 0 || !rows.every(Array.isArray)) throw new CliError(`--ids: ${file} must hold a non-empty array of token id arrays, e.g. [[1, 2, 3]]`);
  const len = (rows[0] as unknown[]).length;
  (rows as unknown[][]).forEach((r, i) => {
    if (r.length !== len) throw new CliError(`--ids: row ${i} has ${r.length} tokens, row 0 has ${len} (rows must be equally long)`);
    r.forEach((id, j) => {
      if (!Number.isInteger(id) || (id as number) < 0 || (vocabSize !== undefined && (id as number) >= vocabSize)) {
        throw new CliError(`--ids: row ${i} position ${j}: ${JSON.stringify(id)} is not a token id${vocabSize !== undefined ? ` (vocab size ${vocabSize})` : ''}`);
      }
    });
  });
  if (len < 2) throw new CliError(`--ids: sequences need at least 2 tokens for the loss, got ${len}`);
  return rows as number[][];
}

export async function inspect(opts: InspectOptions): Promise<{ tensors: number; loss: number; backend: string }> {
  readIds(opts.ids); // fail on bad input before loading tfjs
  // loaded lazily with require (the bin registers tsx for require only): tfjs takes a while to
  // import and the other commands do not need it
  const m = require('@rimwatch/model') as typeof import('@rimwatch/model');
  const tf = require('@tensorflow/tfjs') as typeof import('@tensorflow/tfjs');
  // validate the model directory and ids from file headers before a backend prints anything
  const config = m.checkModelDir(opts.model);
  const rows = readIds(opts.ids, config.vocabSize);
  const backend = await m.initBackend(opts.backend ?? process.env.RIMWATCH_BACKEND ?? 'auto');
  const model = m.loadModel(opts.model);
  try {
    const L = model.config.numLayers;
    const hooks = Array.from({ length: L }, (_, i) => [m.mlpHook(i), m.patternHook(i)]).flat();
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    const put = (name: string, t: import('@tensorflow/tfjs').Tensor) => out.set(name, { shape: t.shape.length ? t.shape : [1], data: t.dataSync() as Float32Array });
    let lossValue = NaN;
    tf.tidy(() => {
      const ids = tf.tensor2d(rows, [rows.length, rows[0].length], 'int32');
      const r = model.forward(ids, { hooks });
      const loss = m.causalLmLoss(r.logits, ids);
      lossValue = loss.dataSync()[0];
      put('logits', r.logits);
      put('loss', loss.reshape([1]));
      for (const h of hooks) put(h, r.hooks[h]);
      if (opts.grads) {
        const { grads } = m.gradsByName(model, () => m.causalLmLoss(model.forward(ids).logits, ids));
        for (const [n, g] of grads) put(`grad.${n}`, g);
      }
    });
    m.writeSafetensorsFile(opts.out, out, { format: 'pt', producer: 'rimwatch inspect', backend });
    return { tensors: out.size, loss: lossValue, backend };
  } finally {
    model.dispose();
  }
}

export function register(program: Command): void {
  program
    .command('inspect')
    .description('run a model on token ids; write logits, loss, MLP activations, attention (and gradients) as safetensors')
    .requiredOption('--model <dir>', 'Hugging Face model directory (config.json + model.safetensors)')
    .requiredOption('--ids <file>', 'JSON file with [[token ids...], ...], rows of equal length')
    .requiredOption('--out <file>', 'output .safetensors file')
    .option('--grads', 'also write grad.<HF parameter name> for every parameter (loss = next-token cross-entropy)')
    .option('--backend <name>', 'auto | tensorflow | webgpu | wasm | cpu (default: RIMWATCH_BACKEND or auto)')
    .action(async (opts: InspectOptions) => {
      const r = await inspect(opts);
      process.stdout.write(`wrote ${opts.out}: ${r.tensors} tensors, loss ${r.loss.toFixed(6)} (backend ${r.backend})\n`);
    });
}
