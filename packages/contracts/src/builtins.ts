/**
 * Names of the built-in model and datasets (`builtin:<name>`), and the row kind each dataset holds.
 *
 * The files themselves live in packages/organism (src/registry.ts: BUILTIN_MODELS, BUILTIN_DATASETS).
 * Contracts must stay free of heavy/runtime dependencies, so it keeps this plain copy of the names;
 * test/builtins.test.ts fails if it drifts from the organism registry. Callers that have the registry
 * at hand (the API) pass it to resolveJobSpec instead.
 */
import type { DatasetKind } from './datasets';

export const BUILTIN_PREFIX = 'builtin:';

export interface BuiltinCatalog {
  /** model names (without the `builtin:` prefix) */
  models: readonly string[];
  /** dataset name -> row kind */
  datasets: Readonly<Record<string, DatasetKind>>;
}

export const BUILTIN_CATALOG: BuiltinCatalog = {
  models: ['rim-organism-v1'],
  datasets: {
    'base-mix': 'chat',
    'reasoning-patterns/target': 'chat',
    'reasoning-patterns/control': 'chat',
    'safety-pairs': 'safety-pair',
    'reasoning-probes': 'reasoning-probe',
    'benign-probes': 'prompt',
  },
};

export function isBuiltinRef(ref: unknown): boolean {
  return typeof ref === 'string' && ref.startsWith(BUILTIN_PREFIX);
}

export function builtinName(ref: string): string {
  return ref.slice(BUILTIN_PREFIX.length);
}
