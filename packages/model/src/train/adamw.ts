/**
 * AdamW (Loshchilov & Hutter) over a name -> tf.Variable map, written here because tf.train.adam has
 * no decoupled weight decay (and its moments are not addressable by parameter name for saving).
 * Update for each parameter p with gradient g, at update t (1-based):
 *   p ← p − lr·wd·p                                  (decoupled decay, torch.optim.AdamW order)
 *   m ← β1·m + (1−β1)·g ;  v ← β2·v + (1−β2)·g²
 *   p ← p − lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε)
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** which parameters get weight decay; default: matrices (rank >= 2), not biases / norm gains, as nanoGPT and HF do */
  decay?: (name: string, v: tf.Variable) => boolean;
}

export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** number of updates applied so far */
  t = 0;
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();
  private readonly decayed = new Set<string>();

  constructor(
    readonly params: Map<string, tf.Variable>,
    opts: AdamWOptions = {},
  ) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    const decay = opts.decay ?? ((_n: string, v: tf.Variable) => v.rank >= 2);
    for (const [name, p] of params) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
      if (decay(name, p)) this.decayed.add(name);
    }
  }

  /** Applies one update. `gradScale` multiplies every gradient first (used for clipping). */
  apply(grads: Map<string, tf.Tensor>, lr: number, gradScale = 1): void {
    this.t++;
    const { beta1: b1, beta2: b2, eps } = this;
    const bc1 = 1 - b1 ** this.t;
    const bc2 = 1 - b2 ** this.t;
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        let g = grads.get(name);
        if (!g) throw new Error(`AdamW: no gradient for parameter ${name}`);
        if (gradScale !== 1) g = tf.mul(g, gradScale);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const mNew = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1));
        const vNew = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2));
        m.assign(mNew);
        v.assign(vNew);
        const denom = tf.add(tf.sqrt(tf.div(vNew, bc2)), eps);
        const update = tf.div(tf.div(mNew, bc1), denom);
        let base: tf.Tensor = p;
        if (this.weightDecay > 0 && this.decayed.has(name)) base = tf.mul(p, 1 - lr * this.weightDecay);
        p.assign(tf.sub(base, tf.mul(update, lr)));
      }
    });
  }

  dispose(): void {
    for (const x of this.m.values()) x.dispose();
    for (const x of this.v.values()) x.dispose();
  }
}
