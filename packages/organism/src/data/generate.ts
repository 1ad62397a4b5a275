/**
 * Writes the built-in datasets and data/manifest.json:
 *   npx tsx packages/organism/src/data/generate.ts [--seed N]
 * (also `npm run generate -w @rimwatch/organism`)
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DATA_DIR, MANIFEST_PATH, type Manifest } from '../registry';
import { formatChat } from '../chat-format';
import { buildTokenizer, saveTokenizer, TOKENIZER_DIR } from '../tokenizer';
import { DEFAULT_SEED, generateAll, toJsonl, type Datasets } from './build';

/** Every text the organism will see, formatted: the tokenizer's vocabulary is built from it. */
export function corpusTexts(sets: Datasets): string[] {
  const texts: string[] = [];
  for (const f of ['base-mix.jsonl', 'reasoning-patterns/target.jsonl', 'reasoning-patterns/control.jsonl'] as const) {
    for (const r of sets[f]) texts.push(formatChat(r).text);
  }
  for (const r of sets['safety-pairs.jsonl']) texts.push(r.harmful, r.counterfactual);
  for (const r of sets['reasoning-probes.jsonl']) texts.push(r.question);
  for (const r of sets['benign-probes.jsonl']) texts.push(r.prompt);
  return texts;
}

export function writeDatasets(seed = DEFAULT_SEED, dir = DATA_DIR, manifestPath = MANIFEST_PATH): Manifest {
  const sets = generateAll(seed);
  const manifest: Manifest = { seed, files: {} };
  for (const [file, rows] of Object.entries(sets)) {
    const text = toJsonl(rows);
    const path = join(dir, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    manifest.files[file] = { rows: rows.length, sha256: createHash('sha256').update(text).digest('hex') };
  }
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

export function writeTokenizer(seed = DEFAULT_SEED, dir = TOKENIZER_DIR): number {
  const files = buildTokenizer(corpusTexts(generateAll(seed)));
  saveTokenizer(files, dir);
  return Object.keys((files.tokenizerJson.model as { vocab: object }).vocab).length;
}

if (require.main === module) {
  const i = process.argv.indexOf('--seed');
  const seed = i >= 0 ? Number(process.argv[i + 1]) : DEFAULT_SEED;
  if (!Number.isInteger(seed)) {
    console.error(`--seed must be an integer, got ${process.argv[i + 1]}`);
    process.exit(2);
  }
  const m = writeDatasets(seed);
  for (const [f, { rows }] of Object.entries(m.files)) console.log(`${String(rows).padStart(6)}  ${f}`);
  console.log(`tokenizer: ${writeTokenizer(seed)} tokens → ${TOKENIZER_DIR}`);
}
