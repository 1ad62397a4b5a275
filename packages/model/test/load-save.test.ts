import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { checkModelDir, loadModel, loadPretrained, createModel } from '../src/load';
import { saveModel } from '../src/save';
import { makeConfig } from '../src/config';
import { encodeSafetensors, readSafetensorsFile, parseHeader, writeSafetensorsFile, type TensorToWrite } from '../src/safetensors';
import { fixture, reference, relErr, tmpDir } from './helpers';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Copy a fixture's config and let `tensors` rewrite its weights. */
function variant(name: 'gpt2-tiny' | 'qwen3-tiny', edit: (t: Map<string, TensorToWrite>) => void, files?: (t: Map<string, TensorToWrite>, dir: string) => void): string {
  const dir = tmpDir();
  fs.copyFileSync(path.join(fixture(name), 'config.json'), path.join(dir, 'config.json'));
  const t = new Map<string, TensorToWrite>();
  for (const [k, v] of readSafetensorsFile(path.join(fixture(name), 'model.safetensors'))) t.set(k, { shape: v.shape, data: v.data });
  edit(t);
  if (files) files(t, dir);
  else writeSafetensorsFile(path.join(dir, 'model.safetensors'), t, { format: 'pt' });
  return dir;
}

function logitsOf(dir: string, name: 'gpt2-tiny' | 'qwen3-tiny' = 'gpt2-tiny'): Float32Array {
  const model = loadModel(dir);
  const ref = reference(name);
  const ids = tf.tensor2d(ref.get('input_ids')!.data as Int32Array, [2, 16], 'int32');
  const out = model.forward(ids).logits;
  const d = out.dataSync() as Float32Array;
  tf.dispose([ids, out]);
  model.dispose();
  return d;
}

describe('loading', () => {
  test('params are tf.Variables keyed by the exact HF names; tied embeddings have no lm_head', () => {
    const m = loadModel(fixture('qwen3-tiny'));
    const file = readSafetensorsFile(path.join(fixture('qwen3-tiny'), 'model.safetensors'));
    expect([...m.params.keys()].sort()).toEqual([...file.keys()].sort());
    expect(m.params.has('lm_head.weight')).toBe(false);
    expect(m.params.get('model.layers.0.self_attn.q_norm.weight')).toBeInstanceOf(tf.Variable);
    expect(m.neuronLayout.neuronsPerLayer).toEqual([128, 128]);
    m.dispose();
  });

  test('sharded checkpoints (model.safetensors.index.json)', () => {
    const dir = variant('gpt2-tiny', () => {}, (t, d) => {
      const names = [...t.keys()];
      const weightMap: Record<string, string> = {};
      const shards = [names.slice(0, 10), names.slice(10)];
      shards.forEach((ns, i) => {
        const file = `model-0000${i + 1}-of-00002.safetensors`;
        writeSafetensorsFile(path.join(d, file), new Map(ns.map((n) => [n, t.get(n)!])), { format: 'pt' });
        for (const n of ns) weightMap[n] = file;
      });
      fs.writeFileSync(path.join(d, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    });
    expect(relErr(logitsOf(dir), reference('gpt2-tiny').get('logits')!.data)).toBeLessThan(1e-4);
  });

  test('F16 and BF16 checkpoints load as float32', () => {
    const toHalf = (bf: boolean) => (t: Map<string, TensorToWrite>, d: string) => {
      // write raw 16-bit tensors: round each float32 to the target format
      const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
      const chunks: Buffer[] = [];
      let off = 0;
      for (const [k, v] of t) {
        const u16 = new Uint16Array(v.data.length);
        const f = new Float32Array(1);
        const u = new Uint32Array(f.buffer);
        for (let i = 0; i < v.data.length; i++) {
          f[0] = v.data[i];
          if (bf) u16[i] = (u[0] + 0x7fff + ((u[0] >> 16) & 1)) >>> 16; // round to nearest even
          else {
            const x = v.data[i];
            const s = x < 0 ? 0x8000 : 0;
            const a = Math.abs(x);
            if (a < 2 ** -14) u16[i] = s | Math.round(a / 2 ** -24);
            else {
              const e = Math.floor(Math.log2(a));
              u16[i] = s + ((e + 15) << 10) + Math.round((a / 2 ** e - 1) * 1024); // + so a rounded-up mantissa carries into the exponent
            }
          }
        }
        header[k] = { dtype: bf ? 'BF16' : 'F16', shape: v.shape, data_offsets: [off, off + u16.byteLength] };
        off += u16.byteLength;
        chunks.push(Buffer.from(u16.buffer));
      }
      const hb = Buffer.from(JSON.stringify(header));
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(hb.length));
      fs.writeFileSync(path.join(d, 'model.safetensors'), Buffer.concat([len, hb, ...chunks]));
    };
    const orig = readSafetensorsFile(path.join(fixture('gpt2-tiny'), 'model.safetensors'));
    // each weight comes back as float32 within the format's rounding (F16: 2^-11 relative, BF16: 2^-8)
    for (const [bf, tol] of [[false, 2 ** -11], [true, 2 ** -8]] as const) {
      const m = loadModel(variant('gpt2-tiny', () => {}, toHalf(bf)));
      for (const [k, v] of orig) {
        const got = m.params.get(k)!.dataSync();
        let worst = 0; // largest error in units of the allowed rounding
        for (let i = 0; i < v.data.length; i++) worst = Math.max(worst, Math.abs(got[i] - v.data[i]) / (Math.abs(v.data[i]) * tol + 2 ** -24));
        expect(worst).toBeLessThanOrEqual(1);
      }
      m.dispose();
    }
    const h = parseHeader(fs.readFileSync(path.join(variant('gpt2-tiny', () => {}, toHalf(true)), 'model.safetensors')));
    expect(h.tensors.get('transformer.wte.weight')!.dtype).toBe('BF16');
  });

  test('older GPT-2 checkpoints without the "transformer." prefix', () => {
    const dir = variant('gpt2-tiny', (t) => {
      for (const k of [...t.keys()]) {
        t.set(k.replace(/^transformer\./, ''), t.get(k)!);
        t.delete(k);
      }
    });
    expect(relErr(logitsOf(dir), reference('gpt2-tiny').get('logits')!.data)).toBeLessThan(1e-4);
  });

  test('clear errors: missing directory, file, tensor; wrong shape; unsupported model_type', () => {
    expect(() => loadModel('/nonexistent/model')).toThrow('model directory not found: /nonexistent/model');
    const empty = tmpDir();
    expect(() => loadModel(empty)).toThrow(`file not found: ${path.join(empty, 'config.json')}`);
    fs.copyFileSync(path.join(fixture('gpt2-tiny'), 'config.json'), path.join(empty, 'config.json'));
    expect(() => loadModel(empty)).toThrow(`file not found: ${path.join(empty, 'model.safetensors')}`);

    const missing = variant('qwen3-tiny', (t) => t.delete('model.layers.1.mlp.up_proj.weight'));
    expect(() => loadModel(missing)).toThrow(`missing tensor "model.layers.1.mlp.up_proj.weight" in ${path.join(missing, 'model.safetensors')}`);

    const wrong = variant('qwen3-tiny', (t) => t.set('model.layers.0.self_attn.k_proj.weight', { shape: [64, 64], data: new Float32Array(64 * 64) }));
    expect(() => loadModel(wrong)).toThrow(/tensor "model.layers.0.self_attn.k_proj.weight" in .* has shape \[64,64\], expected \[32,64\]/);

    const bert = variant('gpt2-tiny', () => {});
    fs.writeFileSync(path.join(bert, 'config.json'), JSON.stringify({ model_type: 'bert' }));
    expect(() => loadModel(bert)).toThrow(/unsupported model_type "bert"/);

    const untied = variant('qwen3-tiny', () => {});
    const cfg = JSON.parse(fs.readFileSync(path.join(untied, 'config.json'), 'utf8'));
    fs.writeFileSync(path.join(untied, 'config.json'), JSON.stringify({ ...cfg, tie_word_embeddings: false }));
    expect(() => loadModel(untied)).toThrow(/missing tensor "lm_head.weight"/);
  });

  test('checkModelDir validates from the safetensors headers alone, with the same errors', () => {
    expect(checkModelDir(fixture('qwen3-tiny')).modelType).toBe('qwen3');
    const wrong = variant('gpt2-tiny', (t) => t.set('transformer.wpe.weight', { shape: [32, 64], data: new Float32Array(32 * 64) }));
    expect(() => checkModelDir(wrong)).toThrow(/tensor "transformer.wpe.weight" in .* has shape \[32,64\], expected \[64,64\]/);
    const missing = variant('gpt2-tiny', (t) => t.delete('transformer.ln_f.bias'));
    expect(() => checkModelDir(missing)).toThrow(/missing tensor "transformer.ln_f.bias"/);
    const ints = variant('gpt2-tiny', (t) => t.set('transformer.ln_f.bias', { shape: [64], data: new Int32Array(64) }));
    expect(() => checkModelDir(ints)).toThrow(/tensor "transformer.ln_f.bias" in .* has integer dtype I32, expected a float/);
    expect(() => loadModel(ints)).toThrow(/tensor "transformer.ln_f.bias" in .* has integer dtype I32, expected a float/);
  });

  test('tokenizer.json is optional; when present it encodes and decodes', () => {
    expect(loadPretrained(fixture('gpt2-tiny')).tokenizer).toBeUndefined();
    const dir = variant('gpt2-tiny', () => {});
    fs.writeFileSync(
      path.join(dir, 'tokenizer.json'),
      JSON.stringify({
        version: '1.0',
        added_tokens: [{ id: 0, content: '<|eos|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
        normalizer: null,
        pre_tokenizer: { type: 'Whitespace' },
        post_processor: null,
        decoder: null,
        model: { type: 'BPE', vocab: { '<|eos|>': 0, h: 1, i: 2, hi: 3, t: 4, e: 5, r: 6, er: 7, the: 8, th: 9, ther: 10, there: 11 }, merges: ['h i', 't h', 'e r', 'th e', 'th er', 'ther e'] },
      }),
    );
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ eos_token: '<|eos|>' }));
    const { model, tokenizer } = loadPretrained(dir);
    expect(tokenizer!.encode('hi there<|eos|>')).toEqual([3, 11, 0]);
    expect(tokenizer!.decode([3, 11, 0])).toBe('hi there');
    expect(tokenizer!.eosTokenId).toBe(0);
    model.dispose();
  });
});

describe('saving', () => {
  test.each(['gpt2-tiny', 'qwen3-tiny'] as const)('%s: save -> reload gives identical weights and an HF-style file', (name) => {
    const m = loadModel(fixture(name));
    const out = tmpDir();
    saveModel(m, out);
    const orig = readSafetensorsFile(path.join(fixture(name), 'model.safetensors'));
    const saved = readSafetensorsFile(path.join(out, 'model.safetensors'));
    expect([...saved.keys()].sort()).toEqual([...orig.keys()].sort());
    for (const [k, v] of orig) expect(saved.get(k)!.data).toEqual(v.data);
    expect(parseHeader(fs.readFileSync(path.join(out, 'model.safetensors'))).metadata).toEqual({ format: 'pt' });
    const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(cfg.model_type).toBe(JSON.parse(fs.readFileSync(path.join(fixture(name), 'config.json'), 'utf8')).model_type);
    expect(cfg.dtype).toBe('float32');
    expect(relErr(logitsOf(out, name), reference(name).get('logits')!.data)).toBeLessThan(1e-4);
    m.dispose();
  });

  test('a fresh model saves and loads back; LoRA adapters must be merged first', () => {
    const cfg = makeConfig({ modelType: 'llama', vocabSize: 40, hiddenSize: 16, numLayers: 1, numHeads: 2, tieWordEmbeddings: false });
    const m = createModel(cfg, { seed: 3 });
    const out = tmpDir();
    saveModel(m, out);
    const back = loadModel(out);
    expect(back.params.has('lm_head.weight')).toBe(true);
    for (const [k, v] of m.params) expect(back.params.get(k)!.dataSync()).toEqual(v.dataSync());
    m.adapters.set('model.layers.0.mlp.up_proj.weight', { a: tf.variable(tf.zeros([2, 16])), b: tf.variable(tf.zeros([64, 2])), scale: 1 });
    expect(() => saveModel(m, out)).toThrow(/model has 1 LoRA adapters; merge them/);
    m.dispose();
    back.dispose();
    void encodeSafetensors;
  });
});
