/** Float32 safetensors I/O for train-state files, over the package's reader/writer (../safetensors.ts). */
import { readSafetensorsFile, writeSafetensorsFile } from '../safetensors';

export interface F32Tensor {
  shape: number[];
  data: Float32Array;
}

export function writeSafetensorsF32(path: string, tensors: Map<string, F32Tensor>, metadata?: Record<string, string>): void {
  writeSafetensorsFile(path, tensors, metadata);
}

export function readSafetensorsF32(path: string): Map<string, F32Tensor> {
  const out = new Map<string, F32Tensor>();
  for (const [name, t] of readSafetensorsFile(path)) {
    if (!(t.data instanceof Float32Array)) throw new Error(`${path}: tensor ${name} has dtype ${t.dtype}, expected a float tensor`);
    out.set(name, { shape: t.shape, data: t.data });
  }
  return out;
}
