/** The trainer, LoRA and train state on the real architectures (HF tiny GPT-2 / Qwen3 checkpoints). */
import { rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend';
import { loadModel } from '../../src/load';
import { saveModel } from '../../src/save';
import { addLora, mergeLora, saveMergedModel } from '../../src/train/lora';
import { loadTrainState } from '../../src/train/state';
import { createTrainer, type TrainerOptions } from '../../src/train/trainer';
import type { CausalLM } from '../../src/types';
import { fixture, relErr, tmpDir } from '../helpers';
import { toyDataset } from './tiny-model';

const ids = () => tf.tensor2d([[3, 17, 250, 9, 44, 120, 7, 300], [1, 2, 3, 4, 5, 6, 7, 8]], [2, 8], 'int32');
function logits(m: CausalLM): Float32Array {
  return tf.tidy(() => m.forward(ids()).logits.dataSync() as Float32Array);
}
const data = toyDataset(24, 320, 3);
const opts = (o: Partial<TrainerOptions> = {}): TrainerOptions => ({
  lr: 3e-3,
  warmupRatio: 0.25,
  schedule: 'cosine',
  totalSteps: 8,
  weightDecay: 0.01,
  gradClip: 1,
  accumSteps: 2,
  batchSize: 2,
  maxSeqLen: 12,
  seed: 21,
  ...o,
});

describe.each(['wasm', 'cpu'] as const)('on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  describe.each(['gpt2-tiny', 'qwen3-tiny'] as const)('%s', (name) => {
    const dirs: string[] = [];
    afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

    it('LoRA: unchanged at init; merged (and saved as plain HF) equals adapted', () => {
      const m = loadModel(fixture(name));
      const base = logits(m);
      addLora(m, { rank: 4, alpha: 8, targets: ['all-linear'], seed: 1 });
      expect(m.adapters.size).toBe(name === 'gpt2-tiny' ? 8 : 14);
      expect(relErr(logits(m), base)).toBe(0);
      for (const ad of m.adapters.values()) ad.b.assign(tf.randomNormal(ad.b.shape, 0, 0.5, 'float32', 3));
      const adapted = logits(m);
      expect(relErr(adapted, base)).toBeGreaterThan(1e-2);
      const mergedDir = tmpDir();
      dirs.push(mergedDir);
      saveMergedModel(m, mergedDir); // leaves the adapters in place
      expect(m.adapters.size).toBeGreaterThan(0);
      expect(relErr(logits(m), adapted)).toBe(0);
      const fromDisk = loadModel(mergedDir);
      expect(relErr(logits(fromDisk), adapted)).toBeLessThan(1e-5);
      fromDisk.dispose();
      mergeLora(m);
      expect(relErr(logits(m), adapted)).toBeLessThan(1e-5);
      const dir = tmpDir();
      dirs.push(dir);
      saveModel(m, dir);
      const back = loadModel(dir);
      expect(relErr(logits(back), adapted)).toBeLessThan(1e-5);
      m.dispose();
      back.dispose();
    });

    const kinds: [string, TrainerOptions][] = [
      ['full', opts()],
      ['lora', opts({ lr: 2e-2, lora: { rank: 2, alpha: 4, targets: ['mlp', name === 'gpt2-tiny' ? 'c_attn' : 'q_proj'], seed: 5 } })],
    ];
    // the plain-JS cpu backend is slow: there, one kind per model keeps the suite short
    const run = backend === 'cpu' ? kinds.filter(([k]) => (name === 'gpt2-tiny' ? k === 'full' : k === 'lora')) : kinds;
    it.each(run)('%s fine-tuning resumes exactly from a saved state', (_kind, o) => {
      const m = loadModel(fixture(name));
      const t = createTrainer(m, o);
      const first = t.trainSteps(3, data);
      const dir = tmpDir();
      dirs.push(dir);
      t.saveState(dir);
      const expected = t.trainSteps(4, data).map((r) => r.loss);
      expect(Math.min(...expected)).toBeLessThan(first[0].loss); // it learns
      // "new process": the model comes from disk (the checkpoint itself, or the base for LoRA)
      const fresh = loadModel(o.lora ? fixture(name) : dir);
      const resumed = loadTrainState(fresh, dir);
      const got = resumed.trainSteps(4, data).map((r) => r.loss);
      got.forEach((l, i) => expect(Math.abs(l - expected[i])).toBeLessThanOrEqual(1e-6));
      [t, resumed, m, fresh].forEach((x) => x.dispose());
    });
  });
});
