export { buildProgram, type CommandModule } from './program';
export { CliError, describeError } from './errors';
