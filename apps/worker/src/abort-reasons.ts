/** Reasons the parent gives when it aborts a running job's signal (read by the sandboxed processor). */
export const ABORT_SHUTDOWN = 'shutdown';
export const ABORT_LOCK_LOST = 'lock-lost';
