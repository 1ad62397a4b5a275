/** Save a model as HF transformers does: config.json + model.safetensors (float32, {format: pt}). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeSafetensorsFile, type TensorToWrite } from './safetensors';
import type { CausalLM } from './types';

export interface SaveOptions {
  /** what to do when the model has LoRA adapters: they are not part of the base weights (merge them first). Default 'error'. */
  adapters?: 'error' | 'ignore';
  /** copy tokenizer.json, tokenizer_config.json, generation_config.json etc. from this directory */
  copyFilesFrom?: string;
}

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json', 'vocab.json', 'merges.txt'];

export function saveModel(model: CausalLM, dir: string, opts: SaveOptions = {}): void {
  if (model.adapters.size > 0 && (opts.adapters ?? 'error') === 'error') {
    throw new Error(`model has ${model.adapters.size} LoRA adapters; merge them into the weights before saving (or pass adapters: 'ignore' to save the base weights)`);
  }
  fs.mkdirSync(dir, { recursive: true });
  const tensors = new Map<string, TensorToWrite>();
  for (const name of [...model.params.keys()].sort()) {
    const v = model.params.get(name)!;
    tensors.set(name, { dtype: 'F32', shape: v.shape, data: v.dataSync() as Float32Array });
  }
  writeSafetensorsFile(path.join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  const cfg = { ...model.config.raw, dtype: 'float32' };
  delete (cfg as Record<string, unknown>).torch_dtype; // transformers 5 writes "dtype"
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg, null, 2) + '\n');
  if (opts.copyFilesFrom && path.resolve(opts.copyFilesFrom) !== path.resolve(dir)) {
    for (const f of TOKENIZER_FILES) {
      const src = path.join(opts.copyFilesFrom, f);
      if (fs.existsSync(src)) fs.copyFileSync(src, path.join(dir, f));
    }
  }
}
