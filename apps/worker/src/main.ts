/**
 * `npm run worker`: consumes queue `finetune` (each job in a sandboxed child process) and delivers
 * alert webhooks from queue `webhooks`. SIGTERM/SIGINT: running jobs stop at their next step
 * boundary, save their train state and go back to the queue; a second signal exits at once.
 */
import { startWorker } from './worker';

startWorker().then(
  (w) => {
    let stopping = false;
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      process.on(sig, () => {
        if (stopping) {
          w.log.warn({ signal: sig }, 'second signal; exiting now');
          process.exit(1);
        }
        stopping = true;
        w.log.info({ signal: sig }, 'shutting down: stopping running jobs at the next step');
        w.close().then(
          () => process.exit(0),
          (err) => {
            w.log.error({ err: (err as Error).message }, 'shutdown failed');
            process.exit(1);
          },
        );
      });
    }
  },
  (err) => {
    console.error(`rimwatch worker: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
