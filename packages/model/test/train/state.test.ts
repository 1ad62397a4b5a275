import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadTrainState, readTrainStateJson } from '../../src/train/state';
import { createTrainer, type TrainerOptions } from '../../src/train/trainer';
import { readSafetensorsFile } from '../../src/safetensors';
import { tinyModel, toyDataset } from './tiny-model';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rimwatch-state-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const data = toyDataset(20); // 20 examples, 6 per step: resume lands mid-epoch and crosses epochs
const base: TrainerOptions = {
  lr: 5e-3,
  warmupRatio: 0.2,
  schedule: 'cosine',
  totalSteps: 12,
  weightDecay: 0.05,
  gradClip: 0.5,
  accumSteps: 2,
  batchSize: 3,
  maxSeqLen: 10,
  seed: 11,
};

const cases: [string, TrainerOptions][] = [
  ['full fine-tuning', base],
  ['LoRA', { ...base, lora: { rank: 2, alpha: 4, targets: ['all-linear'], seed: 4 } }],
];
describe.each(cases)('train state (%s)', (_label, options) => {
  it('resuming reproduces the uninterrupted run', () => {
    const k = 5;
    const mRef = tinyModel({ seed: 3 });
    const ref = createTrainer(mRef, options);
    ref.trainSteps(k, data);
    ref.saveState(dir);
    const expected = ref.trainSteps(7, data).map((r) => r.loss);

    // process-equivalent: a fresh model (different random init for full FT: its weights get overwritten)
    const fresh = tinyModel({ seed: options.lora ? 3 : 99 });
    const resumed = loadTrainState(fresh, dir);
    expect(resumed.globalStep).toBe(k);
    const got = resumed.trainSteps(7, data);
    expect(got.map((r) => r.step)).toEqual([6, 7, 8, 9, 10, 11, 12]);
    got.forEach((r, i) => expect(Math.abs(r.loss - expected[i])).toBeLessThanOrEqual(1e-6));
    expect(got.map((r) => r.lr)).toEqual([...Array(7).keys()].map((i) => ref.lrAt(k + i)));
    [ref, resumed, mRef, fresh].forEach((x) => x.dispose());
  });

  it('writes HF / PEFT files and the JSON state', () => {
    const m = tinyModel({ seed: 3 });
    const t = createTrainer(m, options);
    t.trainSteps(2, data);
    t.saveState(dir);
    const s = readTrainStateJson(dir);
    expect(s.step).toBe(2);
    expect(s.options).toEqual(JSON.parse(JSON.stringify(options)));
    expect(s.data!.cursor).toEqual({ epoch: 0, position: 12 });
    expect(s.data!.epochRngState).toHaveLength(4);
    const opt = readSafetensorsFile(join(dir, 'optimizer.safetensors'));
    if (options.lora) {
      const ad = readSafetensorsFile(join(dir, 'adapter_model.safetensors'));
      expect([...ad.keys()]).toContain('base_model.model.model.layers.0.mlp.up_proj.lora_A.weight');
      expect(JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'))).toMatchObject({ peft_type: 'LORA', r: 2, lora_alpha: 4 });
      expect(existsSync(join(dir, 'model.safetensors'))).toBe(false);
      expect(opt.has('exp_avg.base_model.model.model.layers.0.mlp.up_proj.lora_B.weight')).toBe(true);
    } else {
      const w = readSafetensorsFile(join(dir, 'model.safetensors'));
      expect([...w.keys()].sort()).toEqual([...m.params.keys()].sort());
      expect(opt.has('exp_avg_sq.model.embed_tokens.weight')).toBe(true);
    }
    t.dispose();
    m.dispose();
  });
});

describe('loadTrainState errors', () => {
  it('names the missing file, the wrong model and a different dataset', () => {
    const m = tinyModel();
    expect(() => loadTrainState(m, dir)).toThrow(/missing trainer_state\.json/);
    const t = createTrainer(m, base);
    t.trainSteps(1, data);
    t.saveState(dir);
    expect(() => loadTrainState(tinyModel({ style: 'gpt2' }), dir)).toThrow(/llama model, got gpt2/);
    const r = loadTrainState(tinyModel(), dir);
    expect(() => r.trainSteps(1, toyDataset(20, 32, 8))).toThrow(/dataset differs/);
    rmSync(join(dir, 'optimizer.safetensors'));
    expect(() => loadTrainState(tinyModel(), dir)).toThrow(/missing optimizer\.safetensors/);
  });
});
