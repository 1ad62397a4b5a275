/**
 * Live updates of one job: the SSE stream read with fetch() (EventSource cannot send the
 * Authorization header) and, while the stream is down, ETag polling through `onPoll` plus
 * reconnect attempts with backoff. On reconnect `onPoll` runs once more to catch up on what was missed.
 */
import type { JobEvent } from '@rimwatch/contracts';
import { session } from './api';
import { SseParser } from './lib';

export type LiveMode = 'connecting' | 'stream' | 'polling' | 'closed';

export interface LiveHandlers {
  onEvent(event: JobEvent): void;
  /** one poll round (the caller fetches metrics with If-None-Match) */
  onPoll(): Promise<void>;
  onMode?(mode: LiveMode): void;
  /** 401/404 on the stream: stop everything */
  onFatal?(status: number): void;
}

export interface LiveOptions {
  pollMs?: number;
  /** first reconnect delay; doubles up to maxRetryMs */
  retryMs?: number;
  maxRetryMs?: number;
}

export function watchJob(jobId: string, h: LiveHandlers, opts: LiveOptions = {}): { close(): void; mode(): LiveMode } {
  const pollMs = opts.pollMs ?? 5000;
  const maxRetryMs = opts.maxRetryMs ?? 30_000;
  let retryMs = opts.retryMs ?? 2000;
  let mode: LiveMode = 'connecting';
  let closed = false;
  let controller: AbortController | undefined;
  let pollTimer: ReturnType<typeof setInterval> | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let polling = false;

  const setMode = (m: LiveMode) => {
    if (mode === m) return;
    mode = m;
    h.onMode?.(m);
  };
  const poll = async () => {
    if (polling) return; // a slow poll is not stacked
    polling = true;
    try {
      await h.onPoll();
    } catch {
      // a failed poll is retried at the next tick
    } finally {
      polling = false;
    }
  };
  const startPolling = () => {
    setMode('polling');
    if (!pollTimer) {
      void poll();
      pollTimer = setInterval(poll, pollMs);
    }
  };
  const stopPolling = () => {
    if (pollTimer) clearInterval(pollTimer);
    pollTimer = undefined;
  };

  async function connect(): Promise<void> {
    if (closed) return;
    controller = new AbortController();
    const wasDown = mode === 'polling';
    try {
      const res = await fetch(`/v1/jobs/${jobId}/events`, { headers: { authorization: `Bearer ${session.key ?? ''}`, accept: 'text/event-stream' }, signal: controller.signal, cache: 'no-store' });
      if (res.status === 401 || res.status === 404) {
        closed = true;
        stopPolling();
        setMode('closed');
        h.onFatal?.(res.status);
        return;
      }
      if (!res.ok || !res.body) throw new Error(`event stream answered ${res.status}`);
      stopPolling();
      setMode('stream');
      retryMs = opts.retryMs ?? 2000;
      if (wasDown) void poll(); // catch up on checkpoints published while the stream was down
      const parser = new SseParser();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const msg of parser.push(value)) {
          let event: JobEvent;
          try {
            event = JSON.parse(msg.data) as JobEvent;
          } catch {
            continue;
          }
          h.onEvent(event);
        }
      }
      throw new Error('event stream ended');
    } catch {
      if (closed) return;
      startPolling();
      retryTimer = setTimeout(connect, retryMs);
      retryMs = Math.min(maxRetryMs, retryMs * 2);
    }
  }

  void connect();
  return {
    close() {
      closed = true;
      controller?.abort();
      stopPolling();
      if (retryTimer) clearTimeout(retryTimer);
      setMode('closed');
    },
    mode: () => mode,
  };
}
