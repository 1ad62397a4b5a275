/** Load / create models: HF directory (config.json + model.safetensors or sharded index) -> CausalLM. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseConfig } from './config';
import { GPT2 } from './gpt2';
import { Llama } from './llama';
import { initParams, type TransformerLM } from './base';
import { readSafetensorsFile, readSafetensorsHeaderFile, type LoadedTensor } from './safetensors';
import { loadTokenizer, type TextTokenizer } from './tokenizer';
import type { ModelConfig } from './types';

type Arch = (typeof GPT2 | typeof Llama) & { paramShapes(c: ModelConfig): Map<string, number[]> };

export function archFor(c: ModelConfig): Arch {
  return c.modelType === 'gpt2' ? GPT2 : Llama;
}

/** HF parameter names and shapes this config needs (the keys of model.params). */
export function paramShapes(c: ModelConfig): Map<string, number[]> {
  return archFor(c).paramShapes(c);
}

/** A model with fresh random weights (seeded). `params` overrides any of them. */
export function createModel(config: ModelConfig, opts: { seed?: number; params?: Map<string, tf.Variable> } = {}): TransformerLM {
  const shapes = paramShapes(config);
  const params = opts.params ?? initParams(shapes, opts.seed ?? 0);
  const Ctor = archFor(config);
  return new Ctor(config, params);
}

export function readConfig(dir: string): ModelConfig {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`model directory not found: ${dir}`);
  const p = path.join(dir, 'config.json');
  if (!fs.existsSync(p)) throw new Error(`file not found: ${p}`);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(fs.readFileSync(p, 'utf8'));
  } catch (e) {
    throw new Error(`${p}: not valid JSON (${(e as Error).message})`);
  }
  return parseConfig(raw, p);
}

/** Which file holds each tensor: model.safetensors, or the sharded index's weight_map. */
function weightFiles(dir: string): Map<string, string[]> | string {
  const single = path.join(dir, 'model.safetensors');
  const index = path.join(dir, 'model.safetensors.index.json');
  if (fs.existsSync(index)) {
    const map = (JSON.parse(fs.readFileSync(index, 'utf8')) as { weight_map?: Record<string, string> }).weight_map;
    if (!map) throw new Error(`${index}: missing "weight_map"`);
    const byFile = new Map<string, string[]>();
    for (const [name, file] of Object.entries(map)) {
      const f = path.join(dir, file);
      if (!byFile.has(f)) byFile.set(f, []);
      byFile.get(f)!.push(name);
    }
    return byFile;
  }
  if (fs.existsSync(single)) return single;
  throw new Error(`file not found: ${single} (nor a sharded ${index})`);
}

/** Older GPT-2 checkpoints (e.g. openai-community/gpt2) name tensors without the "transformer." prefix. */
function aliases(name: string): string[] {
  return name.startsWith('transformer.') ? [name, name.slice('transformer.'.length)] : [name];
}

export function loadWeights(dir: string, config: ModelConfig): Map<string, tf.Variable> {
  const shapes = paramShapes(config);
  const files = weightFiles(dir);
  const found = new Map<string, { t: LoadedTensor; file: string }>();
  const wanted = new Set([...shapes.keys()].flatMap(aliases));
  const fileList = typeof files === 'string' ? [files] : [...files.keys()];
  for (const file of fileList) {
    if (!fs.existsSync(file)) throw new Error(`file not found: ${file}`);
    for (const [name, t] of readSafetensorsFile(file, wanted)) found.set(name, { t, file });
  }
  const params = new Map<string, tf.Variable>();
  try {
    for (const [name, shape] of shapes) {
      const hit = aliases(name)
        .map((n) => found.get(n))
        .find((x) => x);
      if (!hit) throw new Error(`missing tensor "${name}" in ${typeof files === 'string' ? files : `${dir} (sharded)`}`);
      const { t, file } = hit;
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new Error(`tensor "${name}" in ${file} has shape [${t.shape}], expected [${shape}]`);
      }
      if (!(t.data instanceof Float32Array)) throw new Error(`tensor "${name}" in ${file} has integer dtype ${t.dtype}, expected a float`);
      const v = tf.tidy(() => tf.variable(tf.tensor(t.data, shape, 'float32'), true));
      params.set(name, v);
    }
  } catch (e) {
    for (const v of params.values()) v.dispose();
    throw e;
  }
  return params;
}

/**
 * Check a model directory without loading weights or touching tfjs: config.json parses, every tensor
 * exists with the right shape and a float dtype (reads only the safetensors headers). Throws the
 * same errors loadModel would. Lets callers fail fast before initialising a backend.
 */
export function checkModelDir(dir: string): ModelConfig {
  const config = readConfig(dir);
  const files = weightFiles(dir);
  const found = new Map<string, { shape: number[]; dtype: string; file: string }>();
  for (const file of typeof files === 'string' ? [files] : [...files.keys()]) {
    for (const [name, e] of readSafetensorsHeaderFile(file).tensors) found.set(name, { shape: e.shape, dtype: e.dtype, file });
  }
  for (const [name, shape] of paramShapes(config)) {
    const hit = aliases(name)
      .map((n) => found.get(n))
      .find((x) => x);
    if (!hit) throw new Error(`missing tensor "${name}" in ${typeof files === 'string' ? files : `${dir} (sharded)`}`);
    if (hit.shape.length !== shape.length || hit.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`tensor "${name}" in ${hit.file} has shape [${hit.shape}], expected [${shape}]`);
    }
    if (!['F32', 'F16', 'BF16', 'F64'].includes(hit.dtype)) throw new Error(`tensor "${name}" in ${hit.file} has integer dtype ${hit.dtype}, expected a float`);
  }
  return config;
}

/** Load a Hugging Face model directory. */
export function loadModel(dir: string): TransformerLM {
  const config = readConfig(dir);
  return createModel(config, { params: loadWeights(dir, config) });
}

/** Model + tokenizer (undefined when the directory has no tokenizer.json: the model runs on ids). */
export function loadPretrained(dir: string): { model: TransformerLM; tokenizer?: TextTokenizer } {
  const model = loadModel(dir);
  return { model, tokenizer: loadTokenizer(dir) };
}
