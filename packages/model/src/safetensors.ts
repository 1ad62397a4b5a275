/**
 * safetensors reader/writer (https://github.com/huggingface/safetensors: 8-byte little-endian header
 * length, JSON header {name: {dtype, shape, data_offsets}}, raw little-endian bytes).
 * Written here rather than taken from npm because the format is ~40 lines, the JS packages available
 * either pull a native binding or do not convert F16/BF16, and we need streaming writes of large
 * models without building one giant Buffer. Tested in test/safetensors.test.ts.
 */
import * as fs from 'node:fs';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface TensorEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  data_offsets: [number, number];
}

export interface SafetensorsHeader {
  tensors: Map<string, TensorEntry>;
  metadata?: Record<string, string>;
  /** byte offset of the data section in the file */
  dataStart: number;
}

/** A tensor as read: floats become Float32Array, integers Int32Array. */
export interface LoadedTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array | Int32Array;
}

const BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export function parseHeader(buf: Uint8Array, what = 'safetensors data', dataLength?: number): SafetensorsHeader {
  if (buf.byteLength < 8) throw new Error(`${what}: too short to be a safetensors file (${buf.byteLength} bytes)`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (n <= 0 || 8 + n > buf.byteLength) throw new Error(`${what}: bad header length ${n} (file has ${buf.byteLength} bytes)`);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + 8, n).toString('utf8'));
  } catch (e) {
    throw new Error(`${what}: header is not valid JSON (${(e as Error).message})`);
  }
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> | undefined;
  const dataLen = dataLength ?? buf.byteLength - 8 - n;
  for (const [name, v] of Object.entries(json)) {
    if (name === '__metadata__') {
      metadata = v as Record<string, string>;
      continue;
    }
    const e = v as TensorEntry;
    if (!(e.dtype in BYTES)) throw new Error(`${what}: tensor ${name} has unsupported dtype ${e.dtype}`);
    const count = e.shape.reduce((a, b) => a * b, 1);
    const [s, t] = e.data_offsets;
    if (t - s !== count * BYTES[e.dtype] || t > dataLen || s < 0) {
      throw new Error(`${what}: tensor ${name} data_offsets [${s}, ${t}] do not fit shape [${e.shape}] ${e.dtype}`);
    }
    tensors.set(name, e);
  }
  return { tensors, metadata, dataStart: 8 + n };
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24; // subnormal
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Decode one tensor's raw bytes to float32 (floats) or int32 (integers). */
export function decodeTensor(bytes: Uint8Array, dtype: SafetensorsDtype, name = 'tensor'): Float32Array | Int32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength / BYTES[dtype];
  switch (dtype) {
    case 'F32': {
      // copy: the file buffer may not be 4-byte aligned and must not stay referenced
      const out = new Float32Array(n);
      new Uint8Array(out.buffer).set(bytes);
      return out;
    }
    case 'F64': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(i * 8, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = f16ToF32(dv.getUint16(i * 2, true));
      return out;
    }
    case 'BF16': {
      // bf16 is the top half of a float32
      const u = new Uint32Array(n);
      for (let i = 0; i < n; i++) u[i] = dv.getUint16(i * 2, true) << 16;
      return new Float32Array(u.buffer);
    }
    case 'I32': {
      const out = new Int32Array(n);
      new Uint8Array(out.buffer).set(bytes);
      return out;
    }
    case 'I64': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = dv.getBigInt64(i * 8, true);
        if (v > 2147483647n || v < -2147483648n) throw new Error(`${name}: I64 value ${v} does not fit in int32`);
        out[i] = Number(v);
      }
      return out;
    }
    case 'I16': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(i * 2, true);
      return out;
    }
    case 'I8': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt8(i);
      return out;
    }
    case 'U8':
    case 'BOOL':
      return Int32Array.from(bytes);
  }
}

/** Parse a whole safetensors buffer. `names` restricts which tensors are decoded. */
export function readSafetensors(buf: Uint8Array, what = 'safetensors data', names?: Iterable<string>): Map<string, LoadedTensor> {
  const h = parseHeader(buf, what);
  const want = names ? new Set(names) : undefined;
  const out = new Map<string, LoadedTensor>();
  for (const [name, e] of h.tensors) {
    if (want && !want.has(name)) continue;
    const bytes = buf.subarray(h.dataStart + e.data_offsets[0], h.dataStart + e.data_offsets[1]);
    out.set(name, { dtype: e.dtype, shape: e.shape, data: decodeTensor(bytes, e.dtype, name) });
  }
  return out;
}

/** Only the header of a file (names, dtypes, shapes): reads 8 + header bytes, not the data. */
export function readSafetensorsHeaderFile(path: string): SafetensorsHeader {
  if (!fs.existsSync(path)) throw new Error(`file not found: ${path}`);
  const fd = fs.openSync(path, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const len = Buffer.alloc(8);
    fs.readSync(fd, len, 0, 8, 0);
    const n = Number(len.readBigUInt64LE(0));
    if (size < 8 || n <= 0 || 8 + n > size) throw new Error(`${path}: bad header length ${n} (file has ${size} bytes)`);
    const head = Buffer.alloc(8 + n);
    fs.readSync(fd, head, 0, 8 + n, 0);
    // offsets are checked against the real data length, which is not read
    return parseHeader(head, path, size - 8 - n);
  } finally {
    fs.closeSync(fd);
  }
}

export function readSafetensorsFile(path: string, names?: Iterable<string>): Map<string, LoadedTensor> {
  if (!fs.existsSync(path)) throw new Error(`file not found: ${path}`);
  return readSafetensors(fs.readFileSync(path), path, names);
}

export interface TensorToWrite {
  /** F32 for Float32Array, I32 for Int32Array (default: from the array type) */
  dtype?: 'F32' | 'I32';
  shape: number[];
  data: Float32Array | Int32Array;
}

function headerFor(tensors: [string, TensorToWrite][], metadata?: Record<string, string>): { header: Buffer; entries: [string, TensorToWrite][] } {
  const json: Record<string, unknown> = {};
  if (metadata) json.__metadata__ = metadata;
  let off = 0;
  for (const [name, t] of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`tensor ${name}: shape [${t.shape}] needs ${count} values, got ${t.data.length}`);
    const dtype = t.dtype ?? (t.data instanceof Int32Array ? 'I32' : 'F32');
    json[name] = { dtype, shape: t.shape, data_offsets: [off, off + t.data.byteLength] };
    off += t.data.byteLength;
  }
  let text = JSON.stringify(json);
  // pad the header with spaces so the data section starts 8-byte aligned (as the reference writer does)
  text += ' '.repeat((8 - ((Buffer.byteLength(text) + 8) % 8)) % 8);
  const hb = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8 + hb.length);
  header.writeBigUInt64LE(BigInt(hb.length), 0);
  hb.copy(header, 8);
  return { header, entries: tensors };
}

/** Serialise to one Buffer (small outputs: inspect, tests). */
export function encodeSafetensors(tensors: Record<string, TensorToWrite> | Map<string, TensorToWrite>, metadata?: Record<string, string>): Buffer {
  const list = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const { header, entries } = headerFor(list, metadata);
  return Buffer.concat([header, ...entries.map(([, t]) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))]);
}

/** Write tensor by tensor, so a large model never needs one Buffer the size of the file. */
export function writeSafetensorsFile(path: string, tensors: Record<string, TensorToWrite> | Map<string, TensorToWrite>, metadata?: Record<string, string>): void {
  const list = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const { header, entries } = headerFor(list, metadata);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, header);
    for (const [, t] of entries) fs.writeSync(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path); // atomic: a crash never leaves a half-written checkpoint under the real name
}
