// `rimwatch admin …`: operator commands that talk to Postgres directly (DATABASE_URL).
import type { Command } from 'commander';
import { createPrisma, DEFAULT_DATABASE_URL, generateApiKey, migrate } from '@rimwatch/db';
import { CliError } from '../errors';

function databaseUrl(): string {
  return process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

export interface CreatedTeam {
  teamId: string;
  apiKey: string;
  keyPrefix: string;
}

/** Creates a team and its first API key in one transaction. */
export async function createTeam(url: string, name: string, keyName = 'default'): Promise<CreatedTeam> {
  const trimmed = name.trim();
  if (trimmed.length === 0) throw new CliError('--name must not be empty');
  if (trimmed.length > 200) throw new CliError('--name must be at most 200 characters');
  const prisma = createPrisma(url, { poolMax: 1 });
  try {
    const key = generateApiKey();
    const team = await prisma.team.create({
      data: { name: trimmed, apiKeys: { create: { name: keyName, prefix: key.prefix, hash: key.hash } } },
    });
    return { teamId: team.id, apiKey: key.key, keyPrefix: key.prefix };
  } finally {
    await prisma.$disconnect();
  }
}

export function register(program: Command): void {
  const admin = program.command('admin').description('operator commands (direct database access via DATABASE_URL)');

  admin
    .command('create-team')
    .description('create a team and print its first API key')
    .requiredOption('--name <name>', 'team name')
    .option('--key-name <name>', 'label of the first API key', 'default')
    .option('--json', 'print {"teamId","apiKey"} as JSON')
    .action(async (opts: { name: string; keyName: string; json?: boolean }) => {
      const created = await createTeam(databaseUrl(), opts.name, opts.keyName);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ teamId: created.teamId, apiKey: created.apiKey })}\n`);
      } else {
        process.stdout.write(
          `team    ${created.teamId}\napi key ${created.apiKey}\n(the key is shown only this once; store it now)\n`,
        );
      }
    });

  admin
    .command('migrate')
    .description('apply pending database migrations to DATABASE_URL')
    .action(async () => {
      const url = databaseUrl();
      const { applied } = await migrate(url);
      process.stdout.write(
        applied.length
          ? `applied ${applied.length} migration(s) to ${redact(url)}: ${applied.join(', ')}\n`
          : `${redact(url)} is up to date\n`,
      );
    });
}
