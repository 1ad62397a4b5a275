/** An error meant for the person at the terminal: printed as one line, exit code `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** One readable line for any error, with hints for the common database failures. */
export function describeError(err: unknown): string {
  if (err instanceof CliError) return err.message;
  const e = (err ?? {}) as { code?: string; message?: string; errors?: { code?: string }[] };
  const code = e.code;
  // Prisma client errors have a multi-line message with a code frame; its last line is the reason.
  const lines = String(e.message ?? err).split('\n').map((l) => l.trim()).filter(Boolean);
  const reason = code?.startsWith('P') ? lines[lines.length - 1] : lines.join(' ');
  switch (code) {
    case 'P1001':
    case 'ECONNREFUSED':
      return `cannot reach the database (${reason}); is Postgres running and DATABASE_URL right?`;
    case 'P1003':
    case '3D000':
      return `${reason}; run \`rimwatch admin migrate\` to create and migrate it`;
    case 'P2021':
    case '42P01':
      return `${reason} — the database is not migrated; run \`rimwatch admin migrate\` first`;
  }
  if (e.errors?.some((x) => x.code === 'ECONNREFUSED')) {
    return 'cannot reach the database (connection refused); is Postgres running and DATABASE_URL right?';
  }
  return reason || 'unknown error';
}
