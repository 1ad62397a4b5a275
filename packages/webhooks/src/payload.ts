/**
 * The JSON a webhook endpoint receives for an alert. `text` is a one-line summary so the URL of a
 * Slack (or Mattermost, Discord-with-/slack) incoming webhook works as an endpoint without glue.
 */
export interface AlertPayloadInput {
  alertEvent: { id: string; ruleId: string; step: number; value: number; state: 'firing' | 'resolved'; createdAt: Date | string };
  rule: { name: string | null; metricKey: string; comparator: string; threshold: number; mode: string; window: number; cooldownSteps?: number };
  job: { id: string; name: string };
}

export interface AlertWebhookPayload {
  event: 'alert';
  alert: {
    id: string;
    ruleId: string;
    name: string;
    metric: string;
    comparator: string;
    threshold: number;
    mode: string;
    window: number;
    value: number;
    step: number;
    state: 'firing' | 'resolved';
    at: string;
  };
  job: { id: string; name: string };
  text: string;
}

const SYMBOL: Record<string, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : String(Number(v.toFixed(4)));
}

export function buildAlertPayload({ alertEvent: e, rule, job }: AlertPayloadInput): AlertWebhookPayload {
  const name = rule.name ?? `${rule.metricKey} ${SYMBOL[rule.comparator] ?? rule.comparator} ${rule.threshold}`;
  const what = rule.mode === 'deltaFromBase' ? `${rule.metricKey} change from base` : rule.metricKey;
  const cmp = SYMBOL[rule.comparator] ?? rule.comparator;
  const text =
    e.state === 'firing'
      ? `:rotating_light: rimwatch alert on job "${job.name}" (${job.id}): ${name}: ${what} = ${fmt(e.value)} (${cmp} ${fmt(rule.threshold)}) at step ${e.step}`
      : `:white_check_mark: rimwatch alert resolved on job "${job.name}" (${job.id}): ${name}: ${what} = ${fmt(e.value)} at step ${e.step}`;
  return {
    event: 'alert',
    alert: {
      id: e.id,
      ruleId: e.ruleId,
      name,
      metric: rule.metricKey,
      comparator: rule.comparator,
      threshold: rule.threshold,
      mode: rule.mode,
      window: rule.window,
      value: e.value,
      step: e.step,
      state: e.state,
      at: typeof e.createdAt === 'string' ? e.createdAt : e.createdAt.toISOString(),
    },
    job: { id: job.id, name: job.name },
    text,
  };
}
