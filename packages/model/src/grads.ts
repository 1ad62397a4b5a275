/** Gradients keyed by HF parameter name (tf.variableGrads keys them by tfjs' internal variable names). */
import * as tf from '@tensorflow/tfjs';
import type { CausalLM } from './types';

export function gradsByName(model: CausalLM, loss: () => tf.Scalar, names: string[] = [...model.params.keys()]): { value: tf.Scalar; grads: Map<string, tf.Tensor> } {
  const vars = names.map((n) => {
    const v = model.params.get(n);
    if (!v) throw new Error(`model has no parameter "${n}"`);
    return v;
  });
  const { value, grads } = tf.variableGrads(loss, vars);
  return { value, grads: new Map(names.map((n, i) => [n, grads[vars[i].name]])) };
}
