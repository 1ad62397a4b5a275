/** Learning-rate schedules, the same formulas as transformers' get_{cosine,linear,constant}_schedule_with_warmup. */
export type ScheduleKind = 'cosine' | 'linear' | 'constant';

export interface ScheduleOptions {
  lr: number;
  totalSteps: number;
  /** share of totalSteps spent in linear warmup (HF rounds up: ceil(ratio * total)) */
  warmupRatio: number;
  schedule: ScheduleKind;
}

export function warmupSteps(o: Pick<ScheduleOptions, 'totalSteps' | 'warmupRatio'>): number {
  return Math.ceil(o.warmupRatio * o.totalSteps);
}

/**
 * LR for optimizer update number `step` (0-based, as HF's LambdaLR: the first update with warmup uses
 * lr 0). After totalSteps cosine/linear stay at 0.
 */
export function lrAt(step: number, o: ScheduleOptions): number {
  const w = warmupSteps(o);
  if (step < w) return (o.lr * step) / Math.max(1, w);
  if (o.schedule === 'constant') return o.lr;
  const progress = (step - w) / Math.max(1, o.totalSteps - w);
  if (o.schedule === 'linear') return o.lr * Math.max(0, 1 - progress);
  return o.lr * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
}
