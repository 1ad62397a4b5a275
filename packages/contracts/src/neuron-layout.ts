/**
 * Where each MLP neuron lives. Activations of all layers are concatenated layer by layer into one
 * flat vector (layer 0's neurons first); this type maps flat index <-> (layer, index within layer).
 * Shared by the model engine (which produces the vectors) and the metrics library (which reads them).
 */
export interface NeuronLayout {
  /** neurons per layer, e.g. [512, 512, 512, 512] for a 4-layer model with d_mlp = 512 */
  readonly neuronsPerLayer: readonly number[];
}

export interface NeuronLocation {
  layer: number;
  index: number;
}

export function makeLayout(neuronsPerLayer: readonly number[]): NeuronLayout {
  for (const [i, n] of neuronsPerLayer.entries()) {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`neuronsPerLayer[${i}] must be a positive integer, got ${n}`);
  }
  return { neuronsPerLayer: [...neuronsPerLayer] };
}

export function totalNeurons(layout: NeuronLayout): number {
  return layout.neuronsPerLayer.reduce((a, b) => a + b, 0);
}

/** Flat index of the first neuron of each layer, plus the total at the end (length layers + 1). */
export function layerOffsets(layout: NeuronLayout): number[] {
  const offsets = [0];
  for (const n of layout.neuronsPerLayer) offsets.push(offsets[offsets.length - 1] + n);
  return offsets;
}

export function flatIndex(layout: NeuronLayout, layer: number, index: number): number {
  const n = layout.neuronsPerLayer[layer];
  if (n === undefined) throw new RangeError(`layer ${layer} out of range (model has ${layout.neuronsPerLayer.length})`);
  if (!Number.isInteger(index) || index < 0 || index >= n) throw new RangeError(`neuron ${index} out of range for layer ${layer} (${n} neurons)`);
  return layerOffsets(layout)[layer] + index;
}

export function locate(layout: NeuronLayout, flat: number): NeuronLocation {
  const offsets = layerOffsets(layout);
  if (!Number.isInteger(flat) || flat < 0 || flat >= offsets[offsets.length - 1]) {
    throw new RangeError(`flat neuron index ${flat} out of range (0..${offsets[offsets.length - 1] - 1})`);
  }
  // binary search for the last offset <= flat
  let lo = 0;
  let hi = offsets.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid] <= flat) lo = mid;
    else hi = mid - 1;
  }
  return { layer: lo, index: flat - offsets[lo] };
}

/** Count of neurons per layer among the given flat indices (for per-layer histograms / matching). */
export function perLayerCounts(layout: NeuronLayout, flat: Iterable<number>): number[] {
  const counts = layout.neuronsPerLayer.map(() => 0);
  for (const f of flat) counts[locate(layout, f).layer]++;
  return counts;
}
