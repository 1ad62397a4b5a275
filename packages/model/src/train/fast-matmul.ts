/**
 * Faster BatchMatMul for the wasm backend. Its own kernel uses XNNPACK only for a plain product whose
 * second operand has batch 1; everything else runs a scalar loop. Measured here (1024³): 6 GFLOP/s
 * plain, 0.85 with transposeB, 0.14 with transposeA; attention's batched [64,128,32]x[64,32,128]:
 * ~0.3 GFLOP/s. Backprop is made of exactly those products (dA = dY·Bᵀ, dB = Aᵀ·dY, batched
 * attention), and nn.Linear forwards use x·Wᵀ, so a naive training step spent 85% of its time there.
 * This wraps the registered kernel: batched products run as one XNNPACK product per batch entry
 * (slices copied, transposed if asked, on the wasm heap); 2-D transposed operands are materialised by
 * the Transpose kernel first. Same values up to float summation order (≤ 3e-6 relative in tests).
 * wasm only: it relies on the wasm backend's heap accessors.
 */
import * as tf from '@tensorflow/tfjs';
import { accumulateSegments } from '../kernels';

interface WasmBackendLike {
  disposeData(id: object): void;
  makeOutput?(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap?(t: tf.TensorInfo): Float32Array;
}
type KernelArgs = { inputs: Record<string, tf.TensorInfo>; backend: WasmBackendLike; attrs: Record<string, unknown> };
type KernelFn = (args: KernelArgs) => tf.TensorInfo;

const originals = new Map<string, tf.KernelConfig>();

/** Copies matrix `index` ([rows, cols] at `offset`) of src into dst, transposed when asked. */
function copySlice(src: Float32Array, offset: number, rows: number, cols: number, transpose: boolean, dst: Float32Array): void {
  if (!transpose) {
    dst.set(src.subarray(offset, offset + rows * cols));
    return;
  }
  for (let r = 0; r < rows; r++) {
    const row = offset + r * cols;
    for (let c = 0; c < cols; c++) dst[c * rows + r] = src[row + c];
  }
}

export function registerFastTransposedMatMul(backendName = 'wasm'): boolean {
  if (originals.has(backendName)) return true;
  const orig = tf.getKernel('BatchMatMul', backendName);
  const transpose = tf.getKernel('Transpose', backendName);
  if (!orig || !transpose) return false;
  const matmul = orig.kernelFunc as unknown as KernelFn;
  const tr = transpose.kernelFunc as unknown as KernelFn;
  const swapLast = (x: tf.TensorInfo, args: KernelArgs): tf.TensorInfo => {
    const r = x.shape.length;
    const perm = [...Array(r).keys()];
    perm[r - 2] = r - 1;
    perm[r - 1] = r - 2;
    return tr({ inputs: { x }, backend: args.backend, attrs: { perm } });
  };
  /**
   * Both operands batched: the wasm kernel only uses XNNPACK when b has batch 1, otherwise a scalar
   * loop (~0.3 GFLOP/s measured for attention's [64,128,32]x[64,32,128]). Run one XNNPACK product per
   * batch entry, copying slices on the wasm heap (memcpy-speed) instead.
   */
  const perBatch = (args: KernelArgs, ta: boolean, tb: boolean): tf.TensorInfo | undefined => {
    const be = args.backend;
    const { a, b } = args.inputs;
    if (!be.makeOutput || !be.typedArrayFromHeap) return undefined;
    const ra = a.shape.length;
    const rb = b.shape.length;
    if (ra < 3 || ra !== rb || a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
    const batchShape = a.shape.slice(0, -2);
    if (batchShape.some((d, i) => d !== b.shape[i])) return undefined; // broadcasting: leave to the kernel
    const batch = batchShape.reduce((x, y) => x * y, 1);
    if (batch <= 1) return undefined;
    const [a0, a1] = a.shape.slice(-2);
    const [b0, b1] = b.shape.slice(-2);
    const [M, K] = ta ? [a1, a0] : [a0, a1];
    const N = tb ? b0 : b1;
    const out = be.makeOutput([...batchShape, M, N], 'float32');
    for (let i = 0; i < batch; i++) {
      const ai = be.makeOutput([1, M, K], 'float32');
      const bi = be.makeOutput([1, K, N], 'float32');
      // heap views are re-read after every allocation: growing wasm memory detaches old views
      copySlice(be.typedArrayFromHeap(a), i * a0 * a1, a0, a1, ta, be.typedArrayFromHeap(ai));
      copySlice(be.typedArrayFromHeap(b), i * b0 * b1, b0, b1, tb, be.typedArrayFromHeap(bi));
      const ci = matmul({ ...args, inputs: { a: ai, b: bi }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
      be.typedArrayFromHeap(out).set(be.typedArrayFromHeap(ci), i * M * N);
      be.disposeData(ai.dataId);
      be.disposeData(bi.dataId);
      be.disposeData(ci.dataId);
    }
    return out;
  };
  const kernelFunc: KernelFn = (args) => {
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const split = perBatch(args, transposeA, transposeB);
    if (split) return split;
    if (!transposeA && !transposeB) return matmul(args);
    const a = transposeA ? swapLast(args.inputs.a, args) : args.inputs.a;
    const b = transposeB ? swapLast(args.inputs.b, args) : args.inputs.b;
    try {
      return matmul({ ...args, inputs: { a, b }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    } finally {
      if (transposeA) args.backend.disposeData(a.dataId);
      if (transposeB) args.backend.disposeData(b.dataId);
    }
  };
  tf.unregisterKernel('BatchMatMul', backendName);
  tf.registerKernel({ ...orig, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  originals.set(backendName, orig);
  return true;
}

/** Puts the backend's own kernel back (benchmarks compare both). */
export function restoreMatMul(backendName = 'wasm'): void {
  const orig = originals.get(backendName);
  if (!orig) return;
  tf.unregisterKernel('BatchMatMul', backendName);
  tf.registerKernel(orig);
  originals.delete(backendName);
}

interface CpuBackendLike {
  readSync(dataId: object): ArrayLike<number>;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array | Int32Array): tf.TensorInfo;
}

let cpuSegmentSum: tf.KernelConfig | undefined;

/**
 * The cpu backend's UnsortedSegmentSum (the gradient of tf.gather: embedding lookups, the loss's
 * target pick) builds an equality mask per segment: O(segments × rows × width). For the loss's flat
 * gather over N×V logits that is quadratic — one [4, 64, 1024] loss backward took 19 s. This
 * linear-time loop replaces it (same sums, up to float32 rounding order).
 */
export function registerFastCpuSegmentSum(): boolean {
  if (cpuSegmentSum) return true;
  const orig = tf.getKernel('UnsortedSegmentSum', 'cpu');
  if (!orig) return false;
  const kernelFunc = ({ inputs, backend, attrs }: { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs: Record<string, unknown> }) => {
    const { x, segmentIds } = inputs;
    const numSegments = attrs.numSegments as number;
    const be = backend as CpuBackendLike;
    const rows = segmentIds.shape.reduce((a, c) => a * c, 1);
    const tail = x.shape.slice(segmentIds.shape.length);
    const width = tail.reduce((a, c) => a * c, 1);
    const xv = be.readSync(x.dataId);
    const ids = be.readSync(segmentIds.dataId);
    const out = x.dtype === 'int32' ? new Int32Array(numSegments * width) : new Float32Array(numSegments * width);
    accumulateSegments(out, xv, ids, rows, width, numSegments);
    return be.makeTensorInfo([numSegments, ...tail], x.dtype, out);
  };
  tf.unregisterKernel('UnsortedSegmentSum', 'cpu');
  tf.registerKernel({ ...orig, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  cpuSegmentSum = orig;
  return true;
}
