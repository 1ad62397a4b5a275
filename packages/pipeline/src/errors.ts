/** Errors that fail a job with a message a user can act on (stored in Job.error). */
export class JobInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobInputError';
  }
}

/** The job was cancelled (POST /v1/jobs/:id/cancel) or the worker is shutting down. */
export class JobStopped extends Error {
  constructor(readonly reason: 'cancelled' | 'shutdown') {
    super(reason === 'cancelled' ? 'job cancelled' : 'worker shutting down; train state saved');
    this.name = 'JobStopped';
  }
}
