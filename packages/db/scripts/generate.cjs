#!/usr/bin/env node
// `prisma generate` without network access.
// The Prisma CLI downloads its schema-engine binary on every invocation unless
// PRISMA_SCHEMA_ENGINE_BINARY names an existing file. `generate` never runs that engine (the
// client is produced by the bundled wasm), so any existing file will do; we point at this script.
// Migrations are applied by packages/db/src/migrate.ts, which needs no engine at all.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '../../..');
const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || __filename,
  CHECKPOINT_DISABLE: '1', // no update-check request
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
};
const cli = require.resolve('prisma/build/index.js', { paths: [root] });
const res = spawnSync(process.execPath, [cli, 'generate', ...process.argv.slice(2)], { cwd: root, env, stdio: 'inherit' });
process.exit(res.status ?? 1);
