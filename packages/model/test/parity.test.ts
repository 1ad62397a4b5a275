/**
 * Numerical parity with Hugging Face transformers 5.17 (fixtures/hf-reference): logits, MLP
 * activations, attention probabilities, loss and gradients, on the wasm and cpu backends.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { loadModel } from '../src/load';
import { causalLmLoss } from '../src/loss';
import { gradsByName } from '../src/grads';
import { fixture, reference, relErr } from './helpers';

describe.each(['wasm', 'cpu'] as const)('HF parity on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  describe.each(['gpt2-tiny', 'qwen3-tiny'] as const)('%s', (arch) => {
    const ref = reference(arch);
    const ids = () => tf.tensor2d(ref.get('input_ids')!.data as Int32Array, ref.get('input_ids')!.shape as [number, number], 'int32');

    test('logits, MLP activations and attention within 1e-4 of max magnitude; loss within 1e-5', () => {
      const model = loadModel(fixture(arch));
      const L = model.config.numLayers;
      const hooks = Array.from({ length: L }, (_, i) => [`blocks.${i}.mlp.hook_post`, `blocks.${i}.attn.hook_pattern`]).flat();
      const x = ids();
      const r = model.forward(x, { hooks });
      expect(r.logits.shape).toEqual(ref.get('logits')!.shape);
      expect(relErr(r.logits.dataSync(), ref.get('logits')!.data)).toBeLessThan(1e-4);
      for (let i = 0; i < L; i++) {
        const act = r.hooks[`blocks.${i}.mlp.hook_post`];
        const att = r.hooks[`blocks.${i}.attn.hook_pattern`];
        expect(act.shape).toEqual(ref.get(`mlp_act.${i}`)!.shape);
        expect(att.shape).toEqual(ref.get(`attn.${i}`)!.shape);
        expect(relErr(act.dataSync(), ref.get(`mlp_act.${i}`)!.data)).toBeLessThan(1e-4);
        expect(relErr(att.dataSync(), ref.get(`attn.${i}`)!.data)).toBeLessThan(1e-4);
      }
      const loss = causalLmLoss(r.logits, x);
      expect(relErr(loss.dataSync(), ref.get('loss')!.data)).toBeLessThan(1e-5);
      tf.dispose([x, r.logits, loss, ...Object.values(r.hooks)]);
      model.dispose();
    });

    test('gradients of the loss within 1e-3 relative', () => {
      const model = loadModel(fixture(arch));
      const x = ids();
      const { value, grads } = gradsByName(model, () => causalLmLoss(model.forward(x).logits, x));
      const refGrads = [...ref.keys()].filter((k) => k.startsWith('grad.'));
      expect(refGrads.length).toBeGreaterThanOrEqual(5); // embedding (gather: UnsortedSegmentSum on wasm) + MLP matrices
      for (const k of refGrads) {
        const name = k.slice('grad.'.length);
        expect(grads.get(name)).toBeDefined();
        expect(relErr(grads.get(name)!.dataSync(), ref.get(k)!.data)).toBeLessThan(1e-3);
      }
      tf.dispose([x, value, ...grads.values()]);
      model.dispose();
    });
  });
});
