/**
 * A tiny random GPT-2 with the organism's tokenizer and chat template, written as a Hugging Face
 * directory — for tests and benchmarks that need the real pipeline to run in seconds.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, makeConfig, saveModel } from '@rimwatch/model';
import { loadTokenizer } from '@rimwatch/model';
import { TOKENIZER_DIR } from '@rimwatch/organism/src/tokenizer';

export function writeTinyModel(dir = mkdtempSync(join(tmpdir(), 'rw-tiny-')), opts: { seed?: number; layers?: number; d?: number } = {}): string {
  const tok = loadTokenizer(TOKENIZER_DIR);
  if (!tok) throw new Error(`organism tokenizer missing in ${TOKENIZER_DIR}`);
  const vocab = JSON.parse(require('node:fs').readFileSync(join(TOKENIZER_DIR, 'tokenizer.json'), 'utf8')).model.vocab as Record<string, number>;
  const imEnd = tok.tokenToId('<|im_end|>')!;
  const eos = tok.tokenToId('<|endoftext|>')!;
  const config = makeConfig({ modelType: 'gpt2', vocabSize: Object.keys(vocab).length, hiddenSize: opts.d ?? 32, numLayers: opts.layers ?? 2, numHeads: 2, intermediateSize: 4 * (opts.d ?? 32), maxPositions: 512, eosTokenId: imEnd, padTokenId: eos });
  config.raw.eos_token_id = [imEnd, eos];
  config.eosTokenId = [imEnd, eos];
  const model = createModel(config, { seed: opts.seed ?? 1 });
  saveModel(model, dir);
  model.dispose();
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(TOKENIZER_DIR, f), join(dir, f));
  return dir;
}
