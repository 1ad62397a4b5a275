export * from './adamw';
export * from './data';
export { registerFastCpuSegmentSum, registerFastTransposedMatMul, restoreMatMul } from './fast-matmul';
export * from './lora';
export * from './schedule';
export * from './state';
export * from './trainer';
export { readSafetensorsF32, writeSafetensorsF32, type F32Tensor } from './st';
