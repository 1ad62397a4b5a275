// Entry point of the `rimwatch` command (apps/cli/bin/rimwatch.js loads this through tsx).
import { describeError } from './errors';
import { buildProgram } from './program';

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`rimwatch: ${describeError(err)}\n`);
    process.exitCode = (err as { exitCode?: number }).exitCode ?? 1;
  });
