#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's CommonJS hook so no build step is needed. Commands load heavy
// modules lazily with require() (not import(), which this hook does not cover).
require('tsx/cjs');
require('../src/main.ts');
