/**
 * The base model's measurement, kept beside the job's checkpoints so a resumed job reuses the same
 * neuron sets and base activations instead of measuring π0 again.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Baseline } from './monitor';

const FILE = 'baseline.json';

export function writeBaseline(jobDir: string, b: Baseline): void {
  const json = JSON.stringify({
    ...b,
    safety: { ...b.safety, supportCounts: Array.from(b.safety.supportCounts) },
    safetyMean: Array.from(b.safetyMean),
    reasoningMean: Array.from(b.reasoningMean),
  });
  const tmp = join(jobDir, `${FILE}.tmp`);
  writeFileSync(tmp, json);
  renameSync(tmp, join(jobDir, FILE)); // atomic: a kill mid-write leaves no half file
}

export function readBaseline(jobDir: string): Baseline | undefined {
  const p = join(jobDir, FILE);
  if (!existsSync(p)) return undefined;
  const raw = JSON.parse(readFileSync(p, 'utf8'));
  return {
    ...raw,
    safety: { ...raw.safety, supportCounts: Uint32Array.from(raw.safety.supportCounts) },
    safetyMean: Float32Array.from(raw.safetyMean),
    reasoningMean: Float32Array.from(raw.reasoningMean),
  } as Baseline;
}
