/** What every architecture shares: parameter storage, adapters, neuron layout, masks, disposal. */
import * as tf from '@tensorflow/tfjs';
import { makeLayout, type NeuronLayout } from '@rimwatch/contracts';
import { MaskCache } from './layers';
import { registerMissingKernels } from './kernels';
import type { CausalLM, ForwardOptions, ForwardResult, LoraAdapter, ModelConfig } from './types';

export abstract class TransformerLM implements CausalLM {
  readonly params: Map<string, tf.Variable>;
  readonly adapters = new Map<string, LoraAdapter>();
  readonly neuronLayout: NeuronLayout;
  protected readonly masks = new MaskCache();

  constructor(
    readonly config: ModelConfig,
    params: Map<string, tf.Variable>,
  ) {
    const expected = (this.constructor as unknown as { paramShapes(c: ModelConfig): Map<string, number[]> }).paramShapes(config);
    for (const [name, shape] of expected) {
      const p = params.get(name);
      if (!p) throw new Error(`missing tensor "${name}" (expected shape [${shape}])`);
      if (p.shape.length !== shape.length || p.shape.some((d, i) => d !== shape[i])) {
        throw new Error(`tensor "${name}" has shape [${p.shape}], expected [${shape}]`);
      }
    }
    this.params = params;
    this.neuronLayout = makeLayout(Array.from({ length: config.numLayers }, () => config.intermediateSize));
  }

  abstract forward(inputIds: tf.Tensor2D, opts?: ForwardOptions): ForwardResult;

  dispose(): void {
    for (const p of this.params.values()) p.dispose();
    for (const a of this.adapters.values()) {
      a.a.dispose();
      a.b.dispose();
    }
    this.params.clear();
    this.adapters.clear();
    this.masks.dispose();
  }
}

/** Fresh random parameters (normal(0, 0.02) matrices, unit norm weights, zero biases), seeded. */
export function initParams(shapes: Map<string, number[]>, seed = 0): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  let i = 0;
  for (const [name, shape] of shapes) {
    const isNorm = /(ln_\d|ln_f|layernorm|norm)\.weight$/.test(name);
    const init = name.endsWith('.bias') ? tf.zeros(shape) : isNorm ? tf.ones(shape) : tf.randomNormal(shape, 0, 0.02, 'float32', seed * 100003 + i++);
    out.set(name, tf.variable(init, true)); // unnamed: tfjs variable names are global, two models would clash
    init.dispose();
  }
  return out;
}

// every model needs gather's gradient on wasm; register the missing kernel as soon as models exist
registerMissingKernels();
