// `rimwatch run JOB.yaml` and `rimwatch report JOB_ID`: the local runner. The same runJob the worker
// drives, in this process, against DATABASE_URL when set, else an embedded PGlite database.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../errors';

const LOCAL_DIR = process.env.RIMWATCH_HOME || '.rimwatch';

interface Db {
  prisma: import('@rimwatch/db').PrismaClient;
  where: string;
  close(): Promise<void>;
}

async function openDb(): Promise<Db> {
  const db = require('@rimwatch/db') as typeof import('@rimwatch/db');
  if (process.env.DATABASE_URL) {
    await db.migrate(process.env.DATABASE_URL);
    const prisma = db.createPrisma(process.env.DATABASE_URL, { poolMax: 4 });
    return { prisma, where: 'DATABASE_URL', close: () => prisma.$disconnect() };
  }
  const emb = await db.openEmbeddedDatabase(join(LOCAL_DIR, 'db'));
  return { prisma: emb.prisma, where: `embedded database ${join(LOCAL_DIR, 'db')}`, close: () => emb.close() };
}

/** The local runner's team: one per database, created on first use. */
async function localTeam(prisma: Db['prisma']): Promise<string> {
  const found = await prisma.team.findFirst({ where: { name: 'local' }, orderBy: { createdAt: 'asc' } });
  return (found ?? (await prisma.team.create({ data: { name: 'local' } }))).id;
}

function readSpec(file: string): unknown {
  if (!existsSync(file)) throw new CliError(`job file not found: ${file}`);
  const text = readFileSync(file, 'utf8');
  const YAML = require('yaml') as typeof import('yaml');
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (e) {
    throw new CliError(`${file}: not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  // relative model paths are relative to the job file
  const r = raw as { model?: unknown };
  if (r && typeof r.model === 'string' && !r.model.startsWith('builtin:') && !r.model.startsWith('/')) r.model = resolve(dirname(file), r.model);
  return raw;
}

async function writeReport(prisma: Db['prisma'], jobId: string, out: string): Promise<string> {
  const { loadReportData, renderReportHtml } = require('@rimwatch/pipeline') as typeof import('@rimwatch/pipeline');
  const data = await loadReportData(prisma, jobId);
  mkdirSync(dirname(resolve(out)), { recursive: true });
  writeFileSync(out, renderReportHtml(data));
  return resolve(out);
}

export function register(program: Command): void {
  program
    .command('run')
    .description('run a monitored fine-tuning job locally (embedded database unless DATABASE_URL is set)')
    .argument('<job>', 'job spec file (YAML or JSON)')
    .option('--resume <jobId>', 'continue a stopped job from its newest saved train state')
    .option('--backend <name>', 'auto | tensorflow | webgpu | wasm | cpu (default: RIMWATCH_BACKEND or auto)')
    .option('--json', 'print the final metrics as JSON instead of a table')
    .action(async (file: string, opts: { resume?: string; backend?: string; json?: boolean }) => {
      const { resolveJobSpec } = require('@rimwatch/contracts') as typeof import('@rimwatch/contracts');
      const resolved = resolveJobSpec(readSpec(file));
      if (!resolved.ok) throw new CliError(`${file}: ${resolved.field}: ${resolved.message}`);
      const spec = resolved.spec;
      const { initBackend } = require('@rimwatch/model') as typeof import('@rimwatch/model');
      const pipeline = require('@rimwatch/pipeline') as typeof import('@rimwatch/pipeline');
      const backend = await initBackend(opts.backend);
      const db = await openDb();
      const stderr = process.stderr;
      try {
        const teamId = await localTeam(db.prisma);
        const job = opts.resume
          ? await db.prisma.job.findFirst({ where: { id: opts.resume, teamId } })
          : await db.prisma.job.create({ data: { teamId, name: spec.name, spec: spec as object } });
        if (!job) throw new CliError(`job ${opts.resume} not found in the ${db.where}`);
        stderr.write(`rimwatch: job ${job.id} (${spec.name}) on ${backend}, ${db.where}\n`);

        const { SingleBar, Presets } = require('cli-progress') as typeof import('cli-progress');
        const bar = new SingleBar({ format: '{phase} |{bar}| step {value}/{total} · loss {loss} · {tps} tok/s · ETA {eta_formatted}', hideCursor: true, etaBuffer: 20, stream: stderr, noTTYOutput: !stderr.isTTY, notTTYSchedule: 5000 }, Presets.shades_classic);
        let started = false;
        let stopping: 'shutdown' | undefined;
        const onSignal = () => {
          stopping = 'shutdown';
          stderr.write(`\nrimwatch: stopping at the next step; resume with: rimwatch run ${file} --resume ${job.id}\n`);
        };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        const t0 = Date.now();
        const result = await pipeline.runJob({
          jobId: job.id,
          teamId,
          spec,
          store: new pipeline.PipelineStore(db.prisma),
          checkpointDir: join(LOCAL_DIR, 'checkpoints'),
          shouldStop: async () => stopping,
          onProgress: (p) => {
            const payload = { phase: p.phase.padEnd(10), loss: p.loss === null ? '-' : p.loss.toFixed(3), tps: Math.round(p.tokensPerSec) };
            if (!started) {
              bar.start(p.totalSteps, p.step, payload);
              started = true;
            } else bar.update(p.step, payload);
          },
          onAlert: (a) => {
            stderr.write(`\nALERT ${a.state}: ${a.rule.name} (${a.rule.metric} = ${a.value.toFixed(4)}) at step ${a.step}\n`);
          },
        });
        if (started) bar.stop();
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
        const minutes = ((Date.now() - t0) / 60000).toFixed(1);

        const data = await pipeline.loadReportData(db.prisma, job.id);
        const reportPath = await writeReport(db.prisma, job.id, join(LOCAL_DIR, 'reports', `${job.id}.html`));
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ jobId: job.id, status: result.status, minutes: Number(minutes), series: data.series, alerts: data.alerts, correlations: pipeline.correlations(data), report: reportPath })}\n`);
        } else {
          process.stdout.write(summaryTable(data, pipeline));
          const corr = pipeline.correlations(data);
          process.stdout.write(`\nPearson r vs misalignment: ${Object.entries(corr).map(([k, v]) => `${k} ${v ? v.r.toFixed(2) : 'n/a'}`).join(' · ')}\n`);
          process.stdout.write(data.alerts.length ? `\nAlerts:\n${data.alerts.map((a) => `  step ${a.step}: ${a.rule} — ${a.state} (${a.metric} = ${a.value.toFixed(4)})`).join('\n')}\n` : '\nAlerts: none fired\n');
          process.stdout.write(`\nJob ${job.id} ${result.status} in ${minutes} min. Report: ${reportPath}\n`);
        }
        if (result.status === 'stopped') process.exitCode = 130;
        else if (result.status !== 'completed') process.exitCode = 1;
      } catch (e) {
        if (e instanceof Error && e.name === 'JobInputError') throw new CliError(e.message);
        throw e;
      } finally {
        await db.close();
      }
    });

  program
    .command('report')
    .description('write a self-contained HTML report (charts, tables, alerts) for a job')
    .argument('<jobId>', 'job id')
    .option('--out <file>', 'output HTML file', 'report.html')
    .action(async (jobId: string, opts: { out: string }) => {
      const db = await openDb();
      try {
        const path = await writeReport(db.prisma, jobId, opts.out).catch((e: Error) => {
          throw new CliError(e.message);
        });
        process.stdout.write(`${path}\n`);
      } finally {
        await db.close();
      }
    });
}

function summaryTable(data: import('@rimwatch/pipeline').ReportData, p: typeof import('@rimwatch/pipeline')): string {
  const Table = require('cli-table3') as typeof import('cli-table3');
  const cols: [string, string][] = [
    ['misalign', p.METRIC.misalignmentRate],
    ['refusal', p.METRIC.refusalRate],
    ['reason acc', p.METRIC.reasoningAccuracy],
    ['KL', p.METRIC.klToBase],
    ['RAS safety', p.ras('safety')],
    ['RAS control', p.ras('control')],
    ['RAS all', p.ras('all')],
    ['ratio', p.METRIC.rasRatio],
    ['loss', p.METRIC.trainLoss],
  ];
  const plain = !process.stdout.isTTY; // no colour codes in pipes and logs
  const t = new Table({ head: ['step', ...cols.map((c) => c[0])], style: plain ? { head: [], border: [] } : undefined });
  for (const s of p.reportSteps(data)) t.push([s, ...cols.map(([, k]) => p.formatMetric(p.valueAt(data, k, s), 3))]);
  return `${t.toString()}\n`;
}
