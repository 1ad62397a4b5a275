/**
 * Postgres or Redis briefly unreachable while a real worker trains: the worker's traffic goes through
 * a TCP proxy that the test cuts (all connections dropped, connects refused) for a few seconds. The
 * job must finish with every checkpoint stored exactly once.
 */
import net from 'node:net';
import { logLines, REDIS_URL, setupE2E, tinySpec, until, type E2E, type WorkerProcess } from './helpers';

jest.setTimeout(240_000);

class TcpProxy {
  private server?: net.Server;
  private sockets = new Set<net.Socket>();
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((res) => this.server!.listen(this.port, '127.0.0.1', res));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  /** drop every connection and refuse new ones */
  async cut(): Promise<void> {
    const closed = new Promise<void>((res) => this.server!.close(() => res()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

describe('e2e: Postgres and Redis outages during a job', () => {
  let e: E2E;
  let proxy: TcpProxy;
  beforeAll(async () => {
    e = await setupE2E();
    const u = new URL(e.db.url);
    proxy = new TcpProxy({ host: u.hostname, port: Number(u.port || 5432) });
    await proxy.start();
  });
  afterAll(async () => {
    await proxy?.cut().catch(() => {});
    await e?.close();
  });

  /** Submits a tiny job, cuts `through` for 3 s after its first checkpoint, and waits for the job to end. */
  async function jobThroughOutage(w: WorkerProcess, through: TcpProxy) {
    const res = await e.app.inject({ method: 'POST', url: '/v1/jobs', headers: e.team.auth, payload: tinySpec(e.modelDir) });
    const jobId = res.json().id as string;
    await until('the first checkpoint', () => e.db.prisma.checkpoint.findFirst({ where: { jobId } }), 120_000, 25);
    await through.cut();
    await new Promise((r) => setTimeout(r, 3000));
    await through.start();
    const done = await until('the job to finish', async () => {
      const j = await e.db.prisma.job.findUnique({ where: { id: jobId } });
      return j && ['completed', 'failed'].includes(j.status) && j;
    }, 120_000).catch((err) => {
      throw new Error(`${(err as Error).message}\nworker output:\n${w.output()}`);
    });
    return { jobId, done };
  }

  it('retries with backoff and loses no checkpoint', async () => {
    const viaProxy = new URL(e.db.url);
    viaProxy.port = String(proxy.port);
    const w = await e.startWorker({ DATABASE_URL: viaProxy.toString(), WORKER_STEP_DELAY_MS: '300', WORKER_CANCEL_POLL_MS: '200' });
    const { jobId, done } = await jobThroughOutage(w, proxy);
    expect({ status: done.status, error: done.error }).toEqual({ status: 'completed', error: null });
    expect(logLines(w.output()).some((l) => l.msg === 'database unreachable; retrying')).toBe(true);
    const cps = await e.db.prisma.checkpoint.findMany({ where: { jobId }, orderBy: { step: 'asc' } });
    expect(cps.map((c) => c.step)).toEqual([2, 4, 6]);
    const ras = await e.db.prisma.metric.findMany({ where: { jobId, key: 'ras.safety' }, orderBy: { step: 'asc' } });
    expect(ras.map((m) => m.step)).toEqual([0, 2, 4, 6]);
    w.proc.kill('SIGTERM');
    expect((await w.exited).code).toBe(0);
  });

  it('rides out a brief Redis outage', async () => {
    const redis = new URL(REDIS_URL);
    const rproxy = new TcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    await rproxy.start();
    try {
      const viaProxy = new URL(REDIS_URL);
      viaProxy.port = String(rproxy.port);
      const w = await e.startWorker({ REDIS_URL: viaProxy.toString(), WORKER_STEP_DELAY_MS: '300' });
      const { jobId, done } = await jobThroughOutage(w, rproxy);
      expect({ status: done.status, error: done.error }).toEqual({ status: 'completed', error: null });
      expect(logLines(w.output()).some((l) => l.msg === 'redis connection error')).toBe(true);
      expect((await e.db.prisma.checkpoint.findMany({ where: { jobId }, orderBy: { step: 'asc' } })).map((c) => c.step)).toEqual([2, 4, 6]);
    } finally {
      await rproxy.cut().catch(() => {});
    }
  });
});
