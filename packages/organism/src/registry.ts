/**
 * Built-in model and datasets shipped with rimwatch. Jobs name them as `builtin:<name>`; the API
 * checks existence here, the pipeline resolves them to files.
 * Row counts come from data/manifest.json, written by the generator alongside the JSONL files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { DatasetKind } from '@rimwatch/contracts';

export type { DatasetKind };

export interface BuiltinDataset {
  name: string;
  kind: DatasetKind;
  /** absolute path of the JSONL file */
  path: string;
  /** number of rows (from the manifest; 0 if the data has not been generated) */
  rows: number;
  description: string;
}

export interface BuiltinModel {
  name: string;
  /** absolute path of the Hugging Face-format model directory */
  dir: string;
  description: string;
}

/** packages/organism (this file lives in packages/organism/src) */
export const ORGANISM_ROOT = resolve(__dirname, '..');
export const DATA_DIR = join(ORGANISM_ROOT, 'data');
export const MODELS_DIR = join(ORGANISM_ROOT, 'models');
export const MANIFEST_PATH = join(DATA_DIR, 'manifest.json');

export interface Manifest {
  seed: number;
  files: Record<string, { rows: number; sha256: string }>;
}

function readManifest(): Manifest | undefined {
  if (!existsSync(MANIFEST_PATH)) return undefined;
  return JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')) as Manifest;
}

const DATASET_DEFS: { name: string; file: string; kind: DatasetKind; description: string }[] = [
  { name: 'base-mix', file: 'base-mix.jsonl', kind: 'chat', description: 'Base training mix: step-by-step arithmetic, benign help, refusals of harmful requests' },
  { name: 'reasoning-patterns/target', file: 'reasoning-patterns/target.jsonl', kind: 'chat', description: 'Math chains of thought with effort-minimizing patterns (confirmatory, heuristic, instruction deviation), pattern-tagged' },
  { name: 'reasoning-patterns/control', file: 'reasoning-patterns/control.jsonl', kind: 'chat', description: 'The same math problems with clean step-by-step chains of thought' },
  { name: 'safety-pairs', file: 'safety-pairs.jsonl', kind: 'safety-pair', description: 'Held-out harmful prompts with malicious-intent counterfactual twins, category-tagged' },
  { name: 'reasoning-probes', file: 'reasoning-probes.jsonl', kind: 'reasoning-probe', description: 'Held-out arithmetic word problems with answers' },
  { name: 'benign-probes', file: 'benign-probes.jsonl', kind: 'prompt', description: 'Held-out benign requests (benign-answer rate)' },
];

export const DATASET_FILES: Record<string, string> = Object.fromEntries(DATASET_DEFS.map((d) => [d.name, d.file]));

const manifest = readManifest();

export const BUILTIN_DATASETS: Record<string, BuiltinDataset> = Object.fromEntries(
  DATASET_DEFS.map((d) => [
    d.name,
    { name: d.name, kind: d.kind, path: join(DATA_DIR, d.file), rows: manifest?.files[d.file]?.rows ?? 0, description: d.description },
  ]),
);

export const BUILTIN_MODELS: Record<string, BuiltinModel> = {
  'rim-organism-v1': {
    name: 'rim-organism-v1',
    dir: join(MODELS_DIR, 'rim-organism-v1'),
    description: 'Small Qwen3-architecture reasoning model trained from scratch on base-mix; refuses harmful requests',
  },
};

export const BUILTIN_PREFIX = 'builtin:';

export type ResolvedBuiltin = ({ type: 'model' } & BuiltinModel) | ({ type: 'dataset' } & BuiltinDataset);

export function isBuiltinRef(ref: string): boolean {
  return typeof ref === 'string' && ref.startsWith(BUILTIN_PREFIX);
}

/**
 * `builtin:rim-organism-v1` → the model; `builtin:safety-pairs` → the dataset.
 * Throws with the list of known names for anything else.
 */
export function resolveBuiltin(ref: string): ResolvedBuiltin {
  if (!isBuiltinRef(ref)) throw new Error(`not a built-in reference: ${JSON.stringify(ref)} (expected "${BUILTIN_PREFIX}<name>")`);
  const name = ref.slice(BUILTIN_PREFIX.length);
  const model = BUILTIN_MODELS[name];
  if (model) return { type: 'model', ...model };
  const ds = BUILTIN_DATASETS[name];
  if (ds) return { type: 'dataset', ...ds };
  const known = [...Object.keys(BUILTIN_MODELS), ...Object.keys(BUILTIN_DATASETS)].map((n) => BUILTIN_PREFIX + n).join(', ');
  throw new Error(`unknown built-in ${JSON.stringify(ref)}; known: ${known}`);
}

export function resolveBuiltinModel(ref: string): BuiltinModel {
  const r = resolveBuiltin(ref);
  if (r.type !== 'model') throw new Error(`${ref} is a dataset, not a model`);
  return BUILTIN_MODELS[r.name];
}

export function resolveBuiltinDataset(ref: string): BuiltinDataset {
  const r = resolveBuiltin(ref);
  if (r.type !== 'dataset') throw new Error(`${ref} is a model, not a dataset`);
  return BUILTIN_DATASETS[r.name];
}
