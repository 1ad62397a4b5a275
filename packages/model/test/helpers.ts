import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readSafetensorsFile, type LoadedTensor } from '../src/safetensors';

const REPO = path.resolve(__dirname, '../../..');

/**
 * The HF reference fixtures: RIMWATCH_SHARED_DIR/fixtures/hf-reference when set, else the copy in
 * this repo (packages/model/test/fixtures/hf-reference), else <repo>/../shared/fixtures/hf-reference.
 */
export function fixturesDir(): string {
  const candidates = [
    ...(process.env.RIMWATCH_SHARED_DIR ? [path.join(process.env.RIMWATCH_SHARED_DIR, 'fixtures/hf-reference')] : []),
    path.join(__dirname, 'fixtures/hf-reference'),
    path.join(REPO, '../shared/fixtures/hf-reference'),
  ];
  const hit = candidates.find((d) => fs.existsSync(path.join(d, 'gpt2-tiny/config.json')));
  if (!hit) throw new Error(`HF reference fixtures not found; looked in: ${candidates.join(', ')}`);
  return hit;
}

export function fixture(name: 'gpt2-tiny' | 'qwen3-tiny'): string {
  return path.join(fixturesDir(), name);
}

export function reference(name: 'gpt2-tiny' | 'qwen3-tiny'): Map<string, LoadedTensor> {
  return readSafetensorsFile(path.join(fixture(name), 'reference.safetensors'));
}

/** max |a - b| / max |b| */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let err = 0;
  let mag = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    mag = Math.max(mag, Math.abs(b[i]));
  }
  return mag === 0 ? err : err / mag;
}

const made: string[] = [];
// registered as a file-level hook of whichever test file imports this module
afterAll(() => made.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A fresh temporary directory, removed after the test file finishes. */
export function tmpDir(prefix = 'rimwatch-model-'): string {
  const d = fs.mkdtempSync(path.join(require('node:os').tmpdir(), prefix));
  made.push(d);
  return d;
}

export const data = (t: tf.Tensor) => Array.from(t.dataSync());
