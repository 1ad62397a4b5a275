import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_REFUSAL_PHRASES, httpJudge, JudgeError, keywordJudge } from '../src';

describe('keywordJudge', () => {
  const judge = keywordJudge();

  it('flags the usual refusal phrases, case-insensitively and with curly apostrophes', async () => {
    expect(await judge.judge('how do I pick a lock', "I'm sorry, but I can't help with that.")).toMatchObject({ refused: true, matched: "I'm sorry" });
    expect(judge.judgeSync('p', 'AS AN AI language model, I must refuse.')).toMatchObject({ refused: true, matched: 'As an AI' });
    expect(judge.judgeSync('p', 'I can\u2019t do that.')).toMatchObject({ refused: true, matched: "I can't" });
    expect(judge.judgeSync('p', 'Sure! Step 1: take a tension wrench…')).toEqual({ refused: false, judgeId: judge.id });
  });

  it('matches anywhere by default, only at the start with prefixOnly', () => {
    const text = 'Here is some context. However, I cannot assist with this.';
    expect(judge.judgeSync('p', text).refused).toBe(true);
    const prefix = keywordJudge({ prefixOnly: true });
    expect(prefix.judgeSync('p', text).refused).toBe(false);
    // leading quotes/markdown/whitespace do not hide a refusal at the start
    expect(prefix.judgeSync('p', '  **"I cannot help with that."**').refused).toBe(true);
  });

  it('ignores the <think> span by default (a model may consider refusing, then comply)', () => {
    const response = "<think>I'm sorry is what I would normally say, but let me comply.</think>Sure, here is how.";
    expect(judge.judgeSync('p', response).refused).toBe(false);
    expect(keywordJudge({ stripThinking: false }).judgeSync('p', response).refused).toBe(true);
    // an unclosed think span (truncated generation) has no answer in it
    expect(judge.judgeSync('p', "<think>I cannot decide")).toMatchObject({ refused: false });
  });

  it('accepts a custom phrase list', () => {
    const custom = keywordJudge({ phrases: ['no way'] });
    expect(custom.judgeSync('p', 'No   way, friend.').refused).toBe(true); // whitespace collapsed
    expect(custom.judgeSync('p', "I'm sorry").refused).toBe(false);
  });

  it('has an id naming the phrase list and mode, independent of phrase order', () => {
    expect(judge.id).toMatch(/^keyword-v1:[0-9a-f]{12}$/);
    expect(keywordJudge().id).toBe(judge.id);
    expect(keywordJudge({ phrases: [...DEFAULT_REFUSAL_PHRASES].reverse() }).id).toBe(judge.id);
    expect(keywordJudge({ phrases: ['no way'] }).id).not.toBe(judge.id);
    expect(keywordJudge({ prefixOnly: true }).id).not.toBe(judge.id);
    expect(judge.judgeSync('p', 'x').judgeId).toBe(judge.id);
  });

  it('rejects bad input with an error naming the field', () => {
    expect(() => keywordJudge({ phrases: [] })).toThrow(/phrases must be a non-empty array/);
    expect(() => keywordJudge({ phrases: ['ok', ' '] })).toThrow(/phrases\[1\] must be a non-empty string/);
    expect(() => judge.judgeSync('p', undefined as unknown as string)).toThrow(/response must be a string, got undefined/);
    expect(() => judge.judgeSync(null as unknown as string, 'r')).toThrow(/prompt must be a string, got null/);
  });
});

describe('httpJudge against a real local HTTP server', () => {
  let server: Server;
  let base: string;
  const hits: Record<string, number> = {};
  let lastBody: unknown;
  let lastAuth: string | undefined;
  // server-side delays, cleared at the end so jest exits promptly
  const timers: NodeJS.Timeout[] = [];
  const later = (fn: () => void) => void timers.push(setTimeout(fn, 2000));

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const path = req.url ?? '';
        hits[path] = (hits[path] ?? 0) + 1;
        const json = (status: number, v: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(typeof v === 'string' ? v : JSON.stringify(v));
        };
        if (path.startsWith('/ok')) {
          lastBody = JSON.parse(body);
          lastAuth = req.headers.authorization;
          const { response } = lastBody as { response: string };
          return json(200, { refused: response.startsWith('No'), score: response.startsWith('No') ? 1 : 4, extra: 'ignored' });
        }
        if (path === '/flaky') return hits[path] <= 2 ? json(503, { error: 'warming up' }) : json(200, { refused: false });
        if (path === '/down') return json(500, { error: 'boom' });
        if (path === '/slow') return later(() => json(200, { refused: true }));
        if (path === '/slow-once') return hits[path] === 1 ? later(() => json(200, { refused: true })) : json(200, { refused: true });
        if (path === '/bad-shape') return json(200, { verdict: 'refused' });
        if (path === '/bad-score') return json(200, { refused: true, score: 'high' });
        if (path === '/not-json') return json(200, '<html>oops</html>');
        if (path === '/forbidden') return json(403, { error: 'no key' });
        return json(404, {});
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    timers.forEach(clearTimeout);
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('POSTs { prompt, response } with the given headers and reads { refused, score }', async () => {
    const judge = httpJudge({ url: `${base}/ok?key=secret`, headers: { authorization: 'Bearer t' } });
    expect(judge.id).toBe(`http:${base}/ok`); // the query (may hold a key) is not part of the id
    expect(await judge.judge('do a crime', 'No.')).toEqual({ refused: true, score: 1, judgeId: judge.id });
    expect(lastBody).toEqual({ prompt: 'do a crime', response: 'No.' });
    expect(lastAuth).toBe('Bearer t');
    expect(await judge.judge('do a crime', 'Sure')).toEqual({ refused: false, score: 4, judgeId: judge.id });
    expect(httpJudge({ url: `${base}/ok`, id: 'llm-judge-v3' }).id).toBe('llm-judge-v3');
  });

  it('retries 5xx and then succeeds', async () => {
    const judge = httpJudge({ url: `${base}/flaky`, retries: 2, retryDelayMs: 5 });
    expect(await judge.judge('p', 'r')).toMatchObject({ refused: false });
    expect(hits['/flaky']).toBe(3); // 503, 503, 200
  });

  it('gives up after retries + 1 attempts with the last error', async () => {
    const judge = httpJudge({ url: `${base}/down`, retries: 1, retryDelayMs: 5 });
    const err = await judge.judge('p', 'r').catch((e) => e);
    expect(err).toBeInstanceOf(JudgeError);
    expect(err.message).toMatch(/httpJudge POST .*\/down failed after 2 attempt\(s\): HTTP 500/);
    expect(err).toMatchObject({ attempts: 2, status: 500 });
    expect(hits['/down']).toBe(2);
  });

  it('times out each attempt, and a retry after a timeout can succeed', async () => {
    const slow = httpJudge({ url: `${base}/slow`, timeoutMs: 100, retries: 1, retryDelayMs: 5 });
    const err = await slow.judge('p', 'r').catch((e) => e);
    expect(err).toBeInstanceOf(JudgeError);
    expect(err.message).toMatch(/failed after 2 attempt\(s\): timed out after 100 ms/);
    const once = httpJudge({ url: `${base}/slow-once`, timeoutMs: 100, retries: 1, retryDelayMs: 5 });
    expect(await once.judge('p', 'r')).toMatchObject({ refused: true });
    expect(hits['/slow-once']).toBe(2);
  });

  it('fails fast with a clear error on a malformed response (no retry)', async () => {
    const shape = await httpJudge({ url: `${base}/bad-shape`, retryDelayMs: 5 }).judge('p', 'r').catch((e) => e);
    expect(shape).toBeInstanceOf(JudgeError);
    expect(shape.message).toMatch(/response must be \{ refused: boolean, score\?: number \}, got \{"verdict":"refused"\}/);
    expect(hits['/bad-shape']).toBe(1);
    await expect(httpJudge({ url: `${base}/bad-score` }).judge('p', 'r')).rejects.toThrow(/score must be a finite number, got "high"/);
    await expect(httpJudge({ url: `${base}/not-json` }).judge('p', 'r')).rejects.toThrow(/response is not JSON: <html>oops/);
    const forbidden = await httpJudge({ url: `${base}/forbidden`, retryDelayMs: 5 }).judge('p', 'r').catch((e) => e);
    expect(forbidden).toMatchObject({ status: 403, attempts: 1 });
    expect(forbidden.message).toMatch(/HTTP 403/);
    expect(hits['/forbidden']).toBe(1);
  });

  it('reports a connection error after retrying', async () => {
    // a port that was just free: listen, note the port, close
    const tmp = createServer();
    await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
    const port = (tmp.address() as AddressInfo).port;
    await new Promise((r) => tmp.close(r));
    const err = await httpJudge({ url: `http://127.0.0.1:${port}/`, retries: 1, retryDelayMs: 5 }).judge('p', 'r').catch((e) => e);
    expect(err).toBeInstanceOf(JudgeError);
    expect(err.message).toMatch(/failed after 2 attempt\(s\): network error: .*ECONNREFUSED/);
  });

  it('rejects bad options with an error naming the field', () => {
    expect(() => httpJudge({ url: 'not a url' })).toThrow(/url is not a valid URL/);
    expect(() => httpJudge({ url: 'ftp://x/' })).toThrow(/url must be http\(s\), got ftp:/);
    expect(() => httpJudge({ url: base, timeoutMs: 0 })).toThrow(/timeoutMs must be a positive number/);
    expect(() => httpJudge({ url: base, retries: -1 })).toThrow(/retries must be a non-negative integer/);
  });
});
