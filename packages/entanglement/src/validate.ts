/** Input checks shared by every metric. Errors name the offending field so a caller can fix it. */

export type IndexList = ArrayLike<number>;

export function assertFloat32(field: string, v: unknown): asserts v is Float32Array {
  if (!(v instanceof Float32Array)) {
    throw new TypeError(`${field} must be a Float32Array, got ${describe(v)}`);
  }
}

export function assertSameLength(field: string, v: Float32Array, expected: number, reference: string): void {
  if (v.length !== expected) {
    throw new RangeError(`${field} has length ${v.length}, expected ${expected} (the length of ${reference})`);
  }
}

/** Flat neuron indices: integers in [0, total), no duplicates. */
export function assertIndexList(field: string, v: unknown, total: number): asserts v is IndexList {
  if (v === null || typeof v !== 'object' || typeof (v as ArrayLike<number>).length !== 'number') {
    throw new TypeError(`${field} must be an array of flat neuron indices, got ${describe(v)}`);
  }
  const list = v as ArrayLike<number>;
  const seen = new Uint8Array(total);
  for (let i = 0; i < list.length; i++) {
    const j = list[i];
    if (!Number.isInteger(j) || j < 0 || j >= total) {
      throw new RangeError(`${field}[${i}] = ${j} is not a flat neuron index in 0..${total - 1}`);
    }
    if (seen[j]) throw new RangeError(`${field}[${i}] = ${j} is a duplicate neuron index`);
    seen[j] = 1;
  }
}

export function assertPositiveNumber(field: string, v: unknown): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new RangeError(`${field} must be a positive finite number, got ${describe(v)}`);
  }
}

export function assertIntegerInRange(field: string, v: unknown, min: number, max: number): asserts v is number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${field} must be an integer in ${min}..${max}, got ${describe(v)}`);
  }
}

/**
 * Resolves "m given as a count or a fraction of all neurons" to a count in 1..total.
 * A fraction is rounded to the nearest count, and at least 1 so a tiny fraction still selects something.
 */
export function resolveCount(
  countField: string,
  count: number | undefined,
  fractionField: string,
  fraction: number | undefined,
  total: number,
): number {
  if (count !== undefined && fraction !== undefined) {
    throw new TypeError(`give either ${countField} or ${fractionField}, not both`);
  }
  if (count !== undefined) {
    assertIntegerInRange(countField, count, 1, total);
    return count;
  }
  if (fraction !== undefined) {
    if (typeof fraction !== 'number' || !(fraction > 0 && fraction <= 1)) {
      throw new RangeError(`${fractionField} must be a number in (0, 1], got ${describe(fraction)}`);
    }
    return Math.min(total, Math.max(1, Math.round(fraction * total)));
  }
  throw new TypeError(`one of ${countField} or ${fractionField} is required`);
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<number>).length})`;
  if (Array.isArray(v)) return `array(${v.length})`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return typeof v;
}
