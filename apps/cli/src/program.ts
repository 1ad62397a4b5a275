import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';

/**
 * Each file in ./commands exports `register(program)` and adds one command group (admin, run,
 * inspect, chat, report, ...). They are discovered here so adding a group never touches this file.
 * Every module is loaded on each start, so keep top-level imports light: require heavy libraries
 * (tfjs, the pipeline) inside the action handlers.
 */
export interface CommandModule {
  register(program: Command): void;
}

export function buildProgram(): Command {
  const program = new Command('rimwatch')
    .description('Watch language-model fine-tuning for reasoning-induced misalignment')
    .version(require('../package.json').version as string)
    .showHelpAfterError('(run with --help for usage)');
  const dir = path.join(__dirname, 'commands');
  const files = readdirSync(dir)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') && !f.startsWith('_'))
    .sort();
  for (const file of files) {
    const mod = require(path.join(dir, file)) as Partial<CommandModule>;
    if (typeof mod.register !== 'function') throw new Error(`apps/cli/src/commands/${file} must export register(program)`);
    mod.register(program);
  }
  return program;
}
