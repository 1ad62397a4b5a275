/** commander argument parser for the organism scripts: a positive integer, or a clear error naming the flag. */
export function positiveInt(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${v}`);
    return n;
  };
}
