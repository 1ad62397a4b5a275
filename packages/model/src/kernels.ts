/**
 * Kernels a backend lacks. The wasm backend has no UnsortedSegmentSum, which tfjs uses for the
 * gradient of tf.gather (embedding lookups, the loss's target-logit pick). We register a plain JS
 * implementation on the wasm heap: O(rows x width), no one-hot matrix, so it also works for large
 * vocabularies.
 */
import * as tf from '@tensorflow/tfjs';

interface WasmLikeBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

let registered = false;

export function registerMissingKernels(): void {
  if (registered) return;
  registered = true;
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({
      kernelName: 'UnsortedSegmentSum',
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { x, segmentIds } = inputs as unknown as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
        const numSegments = (attrs as unknown as { numSegments: number }).numSegments;
        const b = backend as unknown as WasmLikeBackend;
        const rows = segmentIds.shape.reduce((a, c) => a * c, 1);
        const width = x.shape.slice(segmentIds.shape.length).reduce((a, c) => a * c, 1);
        const out = b.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype);
        // read the heap views after makeOutput: allocating may grow (and detach) the wasm memory
        const o = b.typedArrayFromHeap(out);
        const xv = b.typedArrayFromHeap(x);
        const ids = b.typedArrayFromHeap(segmentIds);
        o.fill(0);
        accumulateSegments(o, xv, ids, rows, width, numSegments);
        return out;
      },
    });
  }
}

/**
 * out[ids[r]] += x[r] row by row (rows of `width` values): linear-time UnsortedSegmentSum, shared by
 * the wasm kernel above and the cpu replacement in train/fast-matmul.ts. Like TF, out-of-range ids
 * are dropped.
 */
export function accumulateSegments(out: { [i: number]: number }, x: ArrayLike<number>, ids: ArrayLike<number>, rows: number, width: number, numSegments: number): void {
  for (let r = 0; r < rows; r++) {
    const s = ids[r];
    if (s < 0 || s >= numSegments) continue;
    const src = r * width;
    const dst = s * width;
    for (let j = 0; j < width; j++) out[dst + j] += x[src + j];
  }
}
