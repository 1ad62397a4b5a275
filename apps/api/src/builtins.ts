/** The built-in names the API accepts, straight from the organism registry (plain data, no tfjs). */
import type { BuiltinCatalog } from '@rimwatch/contracts';
import { BUILTIN_DATASETS, BUILTIN_MODELS } from '@rimwatch/organism/src/registry';

export const builtinCatalog: BuiltinCatalog = {
  models: Object.keys(BUILTIN_MODELS),
  datasets: Object.fromEntries(Object.values(BUILTIN_DATASETS).map((d) => [d.name, d.kind])),
};
