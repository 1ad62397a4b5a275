export * from './neuron-layout';
export * from './builtins';
export * from './validation';
export * from './datasets';
export * from './job-spec';
export * from './events';
export * from './errors';
export * from './api';
