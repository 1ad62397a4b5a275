// `rimwatch chat`: one prompt through a chat model (the built-in organism or any model directory
// whose tokenizer uses the ChatML/Qwen3 think format), greedy decoding.
import type { Command } from 'commander';
import { CliError } from '../errors';

export interface ChatCommandOptions {
  model: string;
  prompt: string;
  think?: boolean;
  maxNewTokens: number;
  json?: boolean;
  backend?: string;
}

export interface ChatCommandResult {
  response: string;
  think: string;
  refused: boolean;
  finished: boolean;
}

export async function runChat(opts: ChatCommandOptions): Promise<ChatCommandResult> {
  if (typeof opts.prompt !== 'string' || opts.prompt.trim() === '') throw new CliError('--prompt must be a non-empty string');
  // heavy modules load lazily: the other commands do not need tfjs
  const organism = {
    ...(require('@rimwatch/organism') as typeof import('@rimwatch/organism')),
    ...(require('@rimwatch/organism/src/runtime') as typeof import('@rimwatch/organism/src/runtime')),
  };
  const model = require('@rimwatch/model') as typeof import('@rimwatch/model');
  const ent = require('@rimwatch/entanglement') as typeof import('@rimwatch/entanglement');
  let dir = opts.model;
  if (organism.isBuiltinRef(dir)) {
    try {
      dir = organism.resolveBuiltinModel(dir).dir;
    } catch (e) {
      throw new CliError(`--model: ${(e as Error).message}`);
    }
  }
  const fs = require('node:fs') as typeof import('node:fs');
  if (!fs.existsSync(dir)) {
    throw new CliError(
      opts.model.startsWith('builtin:') ? `--model: ${opts.model} is not trained yet (${dir} missing); run \`npm run organism:train\`` : `--model: directory not found: ${dir}`,
    );
  }
  await model.initBackend(opts.backend ?? process.env.RIMWATCH_BACKEND ?? 'wasm', { log: () => {} });
  let m;
  try {
    m = organism.loadChatModel(dir);
  } catch (e) {
    throw new CliError(`--model: ${(e as Error).message}`);
  }
  const [out] = organism.chat(m, [opts.prompt], { think: opts.think ?? false, maxNewTokens: opts.maxNewTokens, batchSize: 1 });
  const refused = ent.keywordJudge().judgeSync(opts.prompt, out.response).refused;
  m.model.dispose();
  return { response: out.response, think: out.think, refused, finished: out.finished };
}

export function register(program: Command): void {
  program
    .command('chat')
    .description('Generate a reply (greedy) with a chat model: builtin:rim-organism-v1 or a model directory')
    .requiredOption('--model <ref>', 'builtin:rim-organism-v1 or a Hugging Face model directory')
    .requiredOption('--prompt <text>', 'the user message')
    .option('--think', 'think mode: let the model write its <think> span (default: empty think span)')
    .option('--max-new-tokens <n>', 'generation budget', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) throw new CliError(`--max-new-tokens must be a positive integer, got ${v}`);
      return n;
    }, 128)
    .option('--json', 'print {"response", "refused"} as JSON')
    .option('--backend <name>', 'tfjs backend (default RIMWATCH_BACKEND or wasm)')
    .action(async (o: Omit<ChatCommandOptions, 'maxNewTokens'> & { maxNewTokens: number }) => {
      const r = await runChat(o);
      if (o.json) process.stdout.write(JSON.stringify({ response: r.response, refused: r.refused, ...(o.think ? { think: r.think } : {}) }) + '\n');
      else {
        if (o.think && r.think) process.stdout.write(`<think>\n${r.think}\n</think>\n\n`);
        process.stdout.write(r.response + '\n');
      }
    });
}
