/**
 * Correlation of a metric series with misalignment over checkpoints. Two-sided p-values use the
 * t distribution with n − 2 degrees of freedom, t = r·√((n − 2)/(1 − r²)), via stdlib's t CDF
 * (@stdlib/stats-base-dists-t-cdf). The paper's Qwen3-4B r = 0.891, n = 8 gives p ≈ 0.003.
 */
import tCdf from '@stdlib/stats-base-dists-t-cdf';

export interface PearsonResult {
  /** NaN when either series is constant (correlation undefined) */
  r: number;
  /** two-sided p-value; NaN when r is */
  p: number;
  n: number;
}

export interface SpearmanResult {
  rho: number;
  /** two-sided p-value from the same t approximation as scipy.stats.spearmanr */
  p: number;
  n: number;
}

function checkSeries(x: ArrayLike<number>, y: ArrayLike<number>): number {
  for (const [field, v] of [['x', x], ['y', y]] as const) {
    if (!v || typeof v !== 'object' || typeof v.length !== 'number') throw new TypeError(`${field} must be an array of numbers`);
    for (let i = 0; i < v.length; i++) {
      if (typeof v[i] !== 'number' || !Number.isFinite(v[i])) throw new RangeError(`${field}[${i}] must be a finite number, got ${v[i]}`);
    }
  }
  if (x.length !== y.length) throw new RangeError(`x and y must have the same length, got ${x.length} and ${y.length}`);
  if (x.length < 3) throw new RangeError(`need at least 3 points for a correlation p-value (n − 2 degrees of freedom), got ${x.length}`);
  return x.length;
}

/** Two-sided p-value of a correlation coefficient r over n points. */
export function correlationPValue(r: number, n: number): number {
  if (Number.isNaN(r)) return NaN;
  if (!Number.isInteger(n) || n < 3) throw new RangeError(`n must be an integer ≥ 3, got ${n}`);
  if (Math.abs(r) >= 1) return 0;
  const df = n - 2;
  const t = Math.abs(r) * Math.sqrt(df / (1 - r * r));
  // 2·P(T ≤ −|t|) rather than 2·(1 − P(T ≤ |t|)): no cancellation for tiny p
  return Math.min(1, 2 * tCdf(-t, df));
}

function pearsonR(x: ArrayLike<number>, y: ArrayLike<number>, n: number): number {
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  // two-pass (centred) sums: no catastrophic cancellation for series with a large offset
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): PearsonResult {
  const n = checkSeries(x, y);
  const r = pearsonR(x, y, n);
  return { r, p: correlationPValue(r, n), n };
}

/** Ranks 1..n, ties get the average of the ranks they span. */
export function averageRanks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a] - v[b]);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && v[order[j + 1]] === v[order[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = avg;
    i = j + 1;
  }
  return ranks;
}

/** Spearman ρ: Pearson r of the average ranks. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): SpearmanResult {
  const n = checkSeries(x, y);
  const rho = pearsonR(averageRanks(x), averageRanks(y), n);
  return { rho, p: correlationPValue(rho, n), n };
}
