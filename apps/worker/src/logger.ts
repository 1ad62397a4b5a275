import pino from 'pino';

export function createLogger(level: string, name: string) {
  // JSON lines on stderr (pino's default format); pipe through pino-pretty for humans
  return pino({ level, name, base: { pid: process.pid } }, pino.destination(2));
}
