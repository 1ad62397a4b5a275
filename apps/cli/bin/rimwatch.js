#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader so no build step is needed.
require('tsx/cjs');
require('../src/main.ts');
