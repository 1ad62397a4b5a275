/**
 * Where the pipeline writes: Postgres through Prisma (the server's database or the embedded PGlite
 * one — same client, same migrations). Every write is idempotent by its natural key so a retried or
 * resumed checkpoint rewrites rows instead of doubling them: metrics by (job, key, step), checkpoints
 * by (job, step), neuron sets by (job, kind), alert events by (rule, job, step, state).
 */
import type { PrismaClient } from '@rimwatch/db';
import type { JobSpec, NeuronLayout } from '@rimwatch/contracts';
import { DEFAULT_ALERT_RULES, type AlertRuleDef, type AlertTransition, type MetricHistory } from './alerts';
import type { Baseline } from './monitor';

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'diverged';

export interface StoredAlertRule extends AlertRuleDef {
  name: string;
}

export interface StoredAlertEvent {
  id: string;
  ruleId: string;
  jobId: string;
  teamId: string;
  step: number;
  value: number;
  state: 'firing' | 'resolved';
  rule: StoredAlertRule;
}

export class PipelineStore {
  constructor(readonly prisma: PrismaClient) {}

  async jobStatus(jobId: string): Promise<JobStatus | undefined> {
    const job = await this.prisma.job.findUnique({ where: { id: jobId }, select: { status: true } });
    return job?.status as JobStatus | undefined;
  }

  async setStatus(jobId: string, status: JobStatus, error?: string): Promise<void> {
    const now = new Date();
    await this.prisma.job.update({
      where: { id: jobId },
      data: {
        status,
        error: error ?? null,
        ...(status === 'running' ? { startedAt: now, finishedAt: null } : {}),
        ...(['completed', 'failed', 'cancelled', 'diverged'].includes(status) ? { finishedAt: now } : {}),
      },
    });
  }

  async setProgress(jobId: string, progress: Record<string, unknown>): Promise<void> {
    await this.prisma.job.update({ where: { id: jobId }, data: { progress: progress as object } });
  }

  async upsertMetrics(jobId: string, step: number, values: Record<string, number>, judgeId?: string): Promise<void> {
    const keys = Object.keys(values);
    if (!keys.length) return;
    // one statement: INSERT .. ON CONFLICT DO UPDATE keeps (job, key, step) unique under retries
    const rows = keys.map((k) => ({ jobId, step, key: k, value: values[k], judgeId: judgeId ?? null }));
    await this.prisma.$transaction(
      rows.map((r) =>
        this.prisma.metric.upsert({
          where: { jobId_key_step: { jobId: r.jobId, key: r.key, step: r.step } },
          create: r,
          update: { value: r.value, judgeId: r.judgeId },
        }),
      ),
    );
  }

  async hasCheckpoint(jobId: string, step: number): Promise<boolean> {
    return (await this.prisma.checkpoint.count({ where: { jobId, step } })) > 0;
  }

  async upsertCheckpoint(jobId: string, step: number, epoch: number, artifactLocation: string): Promise<void> {
    await this.prisma.checkpoint.upsert({
      where: { jobId_step: { jobId, step } },
      create: { jobId, step, epoch, artifactLocation },
      update: { epoch, artifactLocation },
    });
  }

  async saveNeuronSets(jobId: string, base: Baseline, layout: NeuronLayout, params: Record<string, unknown>): Promise<void> {
    const sets = [
      { kind: 'safety' as const, indices: base.safety.neurons, params: { ...params, m: base.safety.m, pairs: base.safety.pairs, requiredSupport: base.safety.requiredSupport, supportHistogram: base.safety.supportHistogram, perLayer: base.safety.perLayer } },
      { kind: 'control' as const, indices: base.control.neurons, params: { seed: base.control.seed, matchPerLayer: base.control.matchPerLayer, sampler: base.control.sampler, perLayer: base.control.perLayer } },
    ];
    for (const s of sets) {
      const data = { indices: s.indices, layout: { neuronsPerLayer: [...layout.neuronsPerLayer] }, params: s.params as object };
      await this.prisma.neuronSet.upsert({ where: { jobId_kind: { jobId, kind: s.kind } }, create: { jobId, kind: s.kind, ...data }, update: data });
    }
  }

  async metricHistory(jobId: string, keys: string[]): Promise<MetricHistory> {
    const rows = await this.prisma.metric.findMany({ where: { jobId, key: { in: keys } }, select: { key: true, step: true, value: true }, orderBy: { step: 'asc' } });
    const out = new Map<string, { step: number; value: number }[]>();
    for (const r of rows) {
      const s = out.get(r.key) ?? [];
      s.push({ step: r.step, value: r.value });
      out.set(r.key, s);
    }
    return out;
  }

  /**
   * The rules that apply to this job: team-wide rules, the job spec's rules and the built-in defaults
   * (the last two stored once per job, so alert events can reference them).
   */
  async alertRules(teamId: string, jobId: string, spec: JobSpec): Promise<StoredAlertRule[]> {
    const existing = await this.prisma.alertRule.findMany({ where: { teamId, jobId, source: { in: ['spec', 'default'] } } });
    if (existing.length === 0) {
      const wanted = [
        ...spec.alerts.map((a) => ({ source: 'spec', name: `${a.metric} ${a.comparator} ${a.threshold}${a.mode === 'deltaFromBase' ? ' from base' : ''}`, metricKey: a.metric, comparator: a.comparator, threshold: a.threshold, mode: a.mode, window: a.window ?? 1, cooldownSteps: a.cooldownSteps ?? 0 })),
        ...DEFAULT_ALERT_RULES.map((d) => ({ source: 'default', name: d.name, metricKey: d.metric, comparator: d.comparator, threshold: d.threshold, mode: d.mode, window: 1, cooldownSteps: 0 })),
      ];
      await this.prisma.alertRule.createMany({ data: wanted.map((w) => ({ ...w, teamId, jobId })) });
    }
    const rules = await this.prisma.alertRule.findMany({
      where: { teamId, enabled: true, OR: [{ jobId }, { jobId: null }] },
      orderBy: { createdAt: 'asc' },
    });
    return rules.map((r) => ({
      id: r.id,
      name: r.name ?? `${r.metricKey} ${r.comparator} ${r.threshold}`,
      metric: r.metricKey,
      comparator: r.comparator,
      threshold: r.threshold,
      mode: r.mode,
      window: r.window,
      cooldownSteps: r.cooldownSteps,
    }));
  }

  async alertEvents(jobId: string): Promise<{ ruleId: string; state: 'firing' | 'resolved'; step: number }[]> {
    const rows = await this.prisma.alertEvent.findMany({ where: { jobId }, orderBy: [{ step: 'asc' }, { createdAt: 'asc' }], select: { ruleId: true, state: true, step: true } });
    return rows;
  }

  /** Stores a rule transition once (a retried checkpoint finds the existing event). */
  async recordAlert(teamId: string, jobId: string, rule: StoredAlertRule, t: AlertTransition): Promise<{ event: StoredAlertEvent; created: boolean }> {
    const found = await this.prisma.alertEvent.findFirst({ where: { jobId, ruleId: t.ruleId, step: t.step, state: t.state } });
    const row = found ?? (await this.prisma.alertEvent.create({ data: { teamId, jobId, ruleId: t.ruleId, step: t.step, value: t.value, state: t.state } }));
    return { event: { id: row.id, ruleId: row.ruleId, jobId, teamId, step: row.step, value: row.value, state: row.state, rule }, created: !found };
  }

  /** Path and kind of an uploaded dataset of this team. */
  async datasetFile(teamId: string, id: string): Promise<{ path: string; kind: string } | undefined> {
    const ds = await this.prisma.dataset.findFirst({ where: { id, teamId }, select: { storageLocation: true, kind: true } });
    return ds ? { path: ds.storageLocation, kind: ds.kind } : undefined;
  }
}
