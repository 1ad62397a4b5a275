/**
 * Train state on disk, everything needed to continue bit-for-bit:
 *   model.safetensors + config.json      full fine-tuning: all weights, HF names (a loadable HF model)
 *   adapter_model.safetensors + adapter_config.json   LoRA: adapters only, PEFT names
 *   optimizer.safetensors                exp_avg.<key> / exp_avg_sq.<key> (AdamW moments)
 *   trainer_state.json                   step, AdamW t, trainer options, data cursor + PRNG state
 * trainer_state.json is written last, so a directory without it is an interrupted save.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { CausalLM } from '../types';
import { saveModel } from '../save';
import type { DataOrderState } from './data';
import { linearDims, parsePeftName, peftAdapterConfig } from './lora';
import { readSafetensorsF32, writeSafetensorsF32, type F32Tensor } from './st';
import { Trainer, type TrainerOptions } from './trainer';

export const TRAIN_STATE_FILE = 'trainer_state.json';
const FORMAT = 'rimwatch-train-state';

interface TrainStateJson {
  format: typeof FORMAT;
  version: 1;
  step: number;
  adamT: number;
  modelType: string;
  options: TrainerOptions;
  data: DataOrderState | null;
  dataFingerprint: string | null;
}

function toF32(t: tf.Tensor): F32Tensor {
  return { shape: [...t.shape], data: t.dataSync() as Float32Array };
}

export interface SaveTrainStateOptions {
  /** copy tokenizer files from this model directory (full fine-tuning: the checkpoint is a complete HF model) */
  copyFilesFrom?: string;
}

export function saveTrainState(trainer: Trainer, dir: string, opts: SaveTrainStateOptions = {}): void {
  mkdirSync(dir, { recursive: true });
  rmSync(join(dir, TRAIN_STATE_FILE), { force: true });
  const model = trainer.model;
  if (trainer.options.lora) {
    writeSafetensorsF32(join(dir, 'adapter_model.safetensors'), new Map([...trainer.trainable].map(([k, v]) => [k, toF32(v)])), { format: 'pt' });
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify(peftAdapterConfig(model, trainer.options.lora), null, 2));
  } else {
    saveModel(model, dir, { copyFilesFrom: opts.copyFilesFrom }); // config.json + model.safetensors, loadable by HF transformers and loadModel()
  }
  const moments = new Map<string, F32Tensor>();
  for (const [k, m] of trainer.optimizer.m) moments.set(`exp_avg.${k}`, toF32(m));
  for (const [k, v] of trainer.optimizer.v) moments.set(`exp_avg_sq.${k}`, toF32(v));
  writeSafetensorsF32(join(dir, 'optimizer.safetensors'), moments);
  const state: TrainStateJson = {
    format: FORMAT,
    version: 1,
    step: trainer.globalStep,
    adamT: trainer.optimizer.t,
    modelType: model.config.modelType,
    options: trainer.options as TrainerOptions,
    data: trainer.dataState() ?? null,
    dataFingerprint: trainer.dataFingerprint ?? null,
  };
  writeFileSync(join(dir, TRAIN_STATE_FILE), JSON.stringify(state, null, 2));
}

function need(dir: string, file: string): string {
  const p = join(dir, file);
  if (!existsSync(p)) throw new Error(`train state ${dir}: missing ${file}`);
  return p;
}

/** Reads the options saved with a train state (e.g. to build the model before loading). */
export function readTrainStateJson(dir: string): TrainStateJson {
  const s = JSON.parse(readFileSync(need(dir, TRAIN_STATE_FILE), 'utf8')) as TrainStateJson;
  if (s.format !== FORMAT || s.version !== 1) throw new Error(`train state ${dir}: ${TRAIN_STATE_FILE} is not a ${FORMAT} v1 file`);
  return s;
}

/**
 * Restores a train state onto `model` (the base model for LoRA, any same-architecture model for full
 * fine-tuning: its weights are overwritten) and returns a trainer that continues where the saved one stopped.
 */
export function loadTrainState(model: CausalLM, dir: string): Trainer {
  const s = readTrainStateJson(dir);
  if (s.modelType !== model.config.modelType) throw new Error(`train state ${dir} is for a ${s.modelType} model, got ${model.config.modelType}`);
  if (s.options.lora) {
    if (model.adapters.size > 0) throw new Error('loadTrainState: the model already has LoRA adapters; pass the base model');
    const tensors = readSafetensorsF32(need(dir, 'adapter_model.safetensors'));
    const parts = new Map<string, { a?: F32Tensor; b?: F32Tensor }>();
    for (const [name, t] of tensors) {
      const p = parsePeftName(name);
      if (!p) throw new Error(`train state ${dir}: unexpected tensor ${name} in adapter_model.safetensors`);
      const e = parts.get(p.weightName) ?? {};
      if (p.which === 'A') e.a = t;
      else e.b = t;
      parts.set(p.weightName, e);
    }
    const scale = s.options.lora.alpha / s.options.lora.rank;
    for (const [weightName, { a, b }] of parts) {
      const w = model.params.get(weightName);
      if (!w) throw new Error(`train state ${dir}: adapter for ${weightName}, which this model does not have`);
      if (!a || !b) throw new Error(`train state ${dir}: adapter for ${weightName} lacks lora_${a ? 'B' : 'A'}`);
      const { inF, outF } = linearDims(model.config, w);
      const r = s.options.lora.rank;
      if (`${a.shape}` !== `${r},${inF}` || `${b.shape}` !== `${outF},${r}`) {
        throw new Error(`train state ${dir}: adapter ${weightName} has A [${a.shape}] B [${b.shape}], expected A [${r},${inF}] B [${outF},${r}]`);
      }
      model.adapters.set(weightName, { a: tf.variable(tf.tensor2d(a.data, [r, inF])), b: tf.variable(tf.tensor2d(b.data, [outF, r])), scale });
    }
  } else {
    const tensors = readSafetensorsF32(need(dir, 'model.safetensors'));
    for (const [name, p] of model.params) {
      const t = tensors.get(name);
      if (!t) throw new Error(`train state ${dir}: model.safetensors has no tensor ${name}`);
      if (`${t.shape}` !== `${p.shape}`) throw new Error(`train state ${dir}: tensor ${name} has shape [${t.shape}], model expects [${p.shape}]`);
      tf.tidy(() => p.assign(tf.tensor(t.data, p.shape)));
    }
  }
  const opt = readSafetensorsF32(need(dir, 'optimizer.safetensors'));
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const [name, t] of opt) {
    if (name.startsWith('exp_avg_sq.')) v.set(name.slice('exp_avg_sq.'.length), t.data);
    else if (name.startsWith('exp_avg.')) m.set(name.slice('exp_avg.'.length), t.data);
  }
  return new Trainer(model, s.options, {
    step: s.step,
    adamT: s.adamT,
    moments: { m, v },
    data: s.data ?? undefined,
    dataFingerprint: s.dataFingerprint ?? undefined,
  });
}
