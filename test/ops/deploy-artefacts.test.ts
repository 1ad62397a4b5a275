/**
 * The deployment artefacts validate without a cluster or Docker daemon: Kubernetes manifests against
 * the kubernetes-models / KEDA JSON schemas and docker-compose.yml against the Compose spec schema
 * (infra/validate.mjs), plus the properties issue 7 asks for, which a schema cannot know.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';

const ROOT = join(__dirname, '../..');
const k8s = (file: string) => YAML.parseAllDocuments(readFileSync(join(ROOT, 'infra/k8s', file), 'utf8')).map((d) => d.toJS());
const byKind = (file: string, kind: string) => k8s(file).find((o) => o.kind === kind);

describe('deployment artefacts', () => {
  it('every manifest and the compose file pass their JSON schemas', () => {
    let out: string;
    try {
      out = execFileSync(process.execPath, [join(ROOT, 'infra/validate.mjs'), '--json'], { cwd: ROOT, encoding: 'utf8' });
    } catch (err) {
      throw new Error(`infra/validate.mjs failed:\n${(err as { stdout?: string }).stdout}`);
    }
    const results = JSON.parse(out.trim().split('\n').at(-1)!) as Array<{ where: string; id?: string; ok: boolean }>;
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const kinds = new Set(results.map((r) => r.id));
    for (const k of ['apps/v1/Deployment', 'v1/Service', 'autoscaling/v2/HorizontalPodAutoscaler', 'batch/v1/Job', 'v1/ConfigMap', 'v1/Secret', 'networking.k8s.io/v1/NetworkPolicy', 'keda.sh/v1alpha1/ScaledObject', 'v1/PersistentVolumeClaim'])
      expect(kinds).toContain(k);
    expect(results.some((r) => r.where === 'docker-compose.yml')).toBe(true);
  });

  it('the validator rejects a broken manifest (it can fail)', () => {
    const bad = join(require('node:os').tmpdir(), `rw-bad-${process.pid}.yaml`);
    require('node:fs').writeFileSync(bad, 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: x }\nspec: { replicas: "two", selector: {}, template: {} }\n');
    const script = `import('${join(ROOT, 'infra/validate.mjs')}').then(async (m) => { const r = await m.validateK8s([${JSON.stringify(bad)}]); console.log(JSON.stringify(r)); })`;
    const r = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
    expect(r[0].ok).toBe(false);
    expect(r[0].error).toMatch(/replicas/);
  });

  it('workers: GPU limits, GPU node placement, grace period for a checkpoint, shared checkpoint volume', () => {
    const d = byKind('worker.yaml', 'Deployment');
    const pod = d.spec.template.spec;
    expect(pod.containers[0].resources.limits['nvidia.com/gpu']).toBe('1');
    expect(pod.nodeSelector).toBeDefined();
    expect(pod.tolerations.some((t: { key: string }) => t.key === 'nvidia.com/gpu')).toBe(true);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(300);
    expect(pod.containers[0].command ?? []).not.toContain('npm'); // npm would swallow SIGTERM
    const claim = pod.volumes.find((v: { persistentVolumeClaim?: unknown }) => v.persistentVolumeClaim).persistentVolumeClaim.claimName;
    expect(byKind('storage.yaml', 'PersistentVolumeClaim')).toMatchObject({ metadata: { name: claim }, spec: { accessModes: ['ReadWriteMany'] } });
  });

  it("KEDA scales the workers on BullMQ's finetune wait list", () => {
    const so = byKind('scaledobject.yaml', 'ScaledObject');
    expect(so.spec.scaleTargetRef.name).toBe(byKind('worker.yaml', 'Deployment').metadata.name);
    expect(so.spec.triggers[0]).toMatchObject({ type: 'redis', metadata: { listName: 'bull:finetune:wait' } });
  });

  it('only labelled clients (api, workers, migrate) reach Postgres and Redis', () => {
    const label = 'rimwatch.dev/db-client';
    for (const [file, kind] of [['api.yaml', 'Deployment'], ['worker.yaml', 'Deployment'], ['migrate-job.yaml', 'Job']] as const)
      expect(byKind(file, kind).spec.template.metadata.labels[label]).toBe('true');
    const pols = k8s('networkpolicy.yaml');
    expect(pols.map((p) => p.spec.podSelector.matchLabels['app.kubernetes.io/name']).sort()).toEqual(['postgres', 'redis']);
    for (const p of pols) expect(p.spec.ingress[0].from[0].podSelector.matchLabels[label]).toBe('true');
  });

  it('compose: AOF on, migrate one-shot gating api and workers, healthchecks and restart policies, gpu profile', () => {
    const c = YAML.parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
    expect(c.services.redis.command.join(' ')).toMatch(/--appendonly yes/);
    expect(c.services.postgres.volumes[0]).toMatch(/^pgdata:/);
    for (const s of ['api', 'worker', 'worker-cuda', 'worker-webgpu']) {
      expect(c.services[s].depends_on.migrate.condition).toBe('service_completed_successfully');
      expect(c.services[s].healthcheck).toBeDefined();
      expect(c.services[s].restart).toBe('unless-stopped');
    }
    expect(c.services['worker-cuda'].profiles).toEqual(['gpu']);
    expect(c.services['worker-webgpu'].profiles).toEqual(['gpu']);
    expect(c.services['worker-cuda'].environment.RIMWATCH_BACKEND).toBe('tensorflow');
  });

  it('Dockerfile: non-root runtime, npm ci --omit=dev, Prisma client generated at build', () => {
    const df = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(df).toMatch(/npm ci --omit=dev/);
    expect(df).toMatch(/packages\/db\/scripts\/generate\.cjs/);
    expect(df).toMatch(/^USER node$/m);
    for (const t of ['api', 'worker', 'worker-cuda', 'worker-webgpu', 'migrate']) expect(df).toMatch(new RegExp(` AS ${t}$`, 'm'));
    // npm ci needs every workspace's package.json before the sources are copied
    const { readdirSync, existsSync } = require('node:fs') as typeof import('node:fs');
    for (const dir of ['apps', 'packages'])
      for (const ws of readdirSync(join(ROOT, dir))) if (existsSync(join(ROOT, dir, ws, 'package.json'))) expect(df).toContain(`COPY ${dir}/${ws}/package.json ${dir}/${ws}/`);
    // tsx runs the TypeScript at run time, so it must survive --omit=dev
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).dependencies.tsx).toBeDefined();
  });
});
