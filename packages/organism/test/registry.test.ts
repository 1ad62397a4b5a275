import { existsSync } from 'node:fs';
import { BUILTIN_CATALOG } from '@rimwatch/contracts';
import { BUILTIN_DATASETS, BUILTIN_MODELS, resolveBuiltin, resolveBuiltinDataset, resolveBuiltinModel } from '../src/registry';

describe('built-in registry', () => {
  it('lists every dataset with an existing file, its kind and a row count', () => {
    for (const ds of Object.values(BUILTIN_DATASETS)) {
      expect(existsSync(ds.path)).toBe(true);
      expect(ds.rows).toBeGreaterThan(0);
    }
  });

  it('matches the names and kinds in @rimwatch/contracts', () => {
    expect(Object.keys(BUILTIN_MODELS).sort()).toEqual([...BUILTIN_CATALOG.models].sort());
    expect(Object.fromEntries(Object.values(BUILTIN_DATASETS).map((d) => [d.name, d.kind]))).toEqual(BUILTIN_CATALOG.datasets);
  });

  it('resolves builtin: references', () => {
    expect(resolveBuiltin('builtin:safety-pairs')).toMatchObject({ type: 'dataset', kind: 'safety-pair' });
    expect(resolveBuiltin('builtin:reasoning-patterns/target')).toMatchObject({ type: 'dataset', kind: 'chat' });
    expect(resolveBuiltin('builtin:rim-organism-v1')).toMatchObject({ type: 'model' });
    expect(resolveBuiltinModel('builtin:rim-organism-v1').dir).toMatch(/models\/rim-organism-v1$/);
    expect(resolveBuiltinDataset('builtin:reasoning-probes').rows).toBe(150);
  });

  it('rejects unknown or malformed references with the known names', () => {
    expect(() => resolveBuiltin('builtin:nope')).toThrow(/unknown built-in "builtin:nope"; known: builtin:rim-organism-v1, builtin:base-mix/);
    expect(() => resolveBuiltin('safety-pairs')).toThrow(/not a built-in reference/);
    expect(() => resolveBuiltinModel('builtin:base-mix')).toThrow(/is a dataset, not a model/);
    expect(() => resolveBuiltinDataset('builtin:rim-organism-v1')).toThrow(/is a model, not a dataset/);
  });
});
