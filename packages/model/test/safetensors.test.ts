import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeTensor, encodeSafetensors, parseHeader, readSafetensors, readSafetensorsFile, writeSafetensorsFile } from '../src/safetensors';
import { fixture, tmpDir } from './helpers';

/** A safetensors buffer with one raw tensor, the way other writers would produce it. */
function rawFile(name: string, dtype: string, shape: number[], bytes: Uint8Array): Buffer {
  const header = Buffer.from(JSON.stringify({ [name]: { dtype, shape, data_offsets: [0, bytes.length] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, Buffer.from(bytes)]);
}

describe('safetensors', () => {
  test('round-trips F32 and I32 with metadata, data section 8-byte aligned', () => {
    const buf = encodeSafetensors(
      { a: { shape: [2, 3], data: new Float32Array([1, -2, 3.5, 4, 5, 6]) }, ids: { shape: [3], data: new Int32Array([7, -8, 9]) } },
      { format: 'pt' },
    );
    const h = parseHeader(buf);
    expect(h.dataStart % 8).toBe(0);
    expect(h.metadata).toEqual({ format: 'pt' });
    const t = readSafetensors(buf);
    expect(t.get('a')).toEqual({ dtype: 'F32', shape: [2, 3], data: new Float32Array([1, -2, 3.5, 4, 5, 6]) });
    expect(t.get('ids')!.dtype).toBe('I32');
    expect(Array.from(t.get('ids')!.data)).toEqual([7, -8, 9]);
  });

  test('F16 and BF16 decode to float32', () => {
    // F16: 1.0 = 0x3c00, -2.0 = 0xc000, 65504 = 0x7bff, smallest subnormal 0x0001 = 2^-24
    const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001]).buffer);
    expect(Array.from(decodeTensor(f16, 'F16'))).toEqual([1, -2, 65504, 2 ** -24]);
    // BF16 is the high half of float32: 1.5 = 0x3fc0, -3.0 = 0xc040
    const bf16 = new Uint8Array(new Uint16Array([0x3fc0, 0xc040]).buffer);
    expect(Array.from(decodeTensor(bf16, 'BF16'))).toEqual([1.5, -3]);
    const t = readSafetensors(rawFile('w', 'BF16', [2], bf16)).get('w')!;
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(Array.from(t.data)).toEqual([1.5, -3]);
  });

  test('I64 decodes to int32 and rejects values that do not fit', () => {
    const ok = new Uint8Array(new BigInt64Array([5n, -6n]).buffer);
    expect(Array.from(decodeTensor(ok, 'I64'))).toEqual([5, -6]);
    const big = new Uint8Array(new BigInt64Array([2n ** 40n]).buffer);
    expect(() => decodeTensor(big, 'I64', 'ids')).toThrow(/ids: I64 value 1099511627776 does not fit/);
  });

  test('reads the HF fixture written by the reference implementation', () => {
    const t = readSafetensorsFile(path.join(fixture('gpt2-tiny'), 'model.safetensors'));
    expect(t.get('transformer.wte.weight')!.shape).toEqual([320, 64]);
    expect(t.get('transformer.h.0.attn.c_attn.weight')!.shape).toEqual([64, 192]);
  });

  test('streaming file writer gives the same bytes as the in-memory encoder', () => {
    const dir = tmpDir();
    const tensors = { x: { shape: [4], data: new Float32Array([1, 2, 3, 4]) } };
    writeSafetensorsFile(path.join(dir, 'x.safetensors'), tensors, { format: 'pt' });
    expect(fs.readFileSync(path.join(dir, 'x.safetensors')).equals(encodeSafetensors(tensors, { format: 'pt' }))).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['x.safetensors']); // temp file renamed away
  });

  test('clear errors for bad input', () => {
    expect(() => readSafetensors(Buffer.alloc(4))).toThrow(/too short/);
    const bad = Buffer.alloc(16);
    bad.writeBigUInt64LE(100n);
    expect(() => readSafetensors(bad, 'm.safetensors')).toThrow(/m.safetensors: bad header length 100/);
    expect(() => readSafetensors(rawFile('w', 'F32', [3], new Uint8Array(8)))).toThrow(/tensor w data_offsets \[0, 8\] do not fit shape \[3\] F32/);
    expect(() => readSafetensors(rawFile('w', 'C64', [1], new Uint8Array(8)))).toThrow(/tensor w has unsupported dtype C64/);
    expect(() => readSafetensorsFile('/nonexistent/model.safetensors')).toThrow('file not found: /nonexistent/model.safetensors');
    expect(() => encodeSafetensors({ w: { shape: [2, 2], data: new Float32Array(3) } })).toThrow(/tensor w: shape \[2,2\] needs 4 values, got 3/);
  });
});
