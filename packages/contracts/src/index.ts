export * from './neuron-layout';
