import type { JobDto } from '@rimwatch/contracts';
import { setup, validSpec, type Harness } from './helpers';

let h: Harness;
let jobId: string;

beforeAll(async () => {
  h = await setup();
  jobId = (await h.app.inject({ method: 'POST', url: '/v1/jobs', headers: h.a.auth, payload: validSpec })).json<JobDto>().id;
  const layout = { neuronsPerLayer: [4, 4, 8] };
  await h.db.prisma.neuronSet.createMany({
    data: [
      { jobId, kind: 'safety', indices: [0, 3, 5, 8, 9, 15], layout, params: { topFraction: 0.01, pooling: 'max' } },
      { jobId, kind: 'control', indices: [1, 6, 7, 10, 11, 12], layout, params: { seed: 1234 } },
    ],
  });
});
afterAll(async () => {
  await h?.close();
});

describe('GET /v1/jobs/:id/neuron-sets', () => {
  it('returns each set with its size, layout, per-layer counts and indices', async () => {
    const r = await h.app.inject({ method: 'GET', url: `/v1/jobs/${jobId}/neuron-sets`, headers: h.a.auth });
    expect(r.statusCode).toBe(200);
    const items = r.json().items as { kind: string; size: number; perLayer: number[]; neuronsPerLayer: number[]; indices: number[]; params: Record<string, unknown> }[];
    expect(items.map((s) => s.kind)).toEqual(['safety', 'control']);
    expect(items[0]).toMatchObject({ size: 6, neuronsPerLayer: [4, 4, 8], perLayer: [2, 1, 3], indices: [0, 3, 5, 8, 9, 15], params: { topFraction: 0.01, pooling: 'max' } });
    expect(items[1]).toMatchObject({ size: 6, perLayer: [1, 2, 3] });
  });

  it('is empty before the sets are identified', async () => {
    const other = (await h.app.inject({ method: 'POST', url: '/v1/jobs', headers: h.a.auth, payload: validSpec })).json<JobDto>().id;
    expect((await h.app.inject({ method: 'GET', url: `/v1/jobs/${other}/neuron-sets`, headers: h.a.auth })).json()).toEqual({ items: [] });
  });

  it("404 for another team's job, 401 without a key, 400 naming a malformed id", async () => {
    expect((await h.app.inject({ method: 'GET', url: `/v1/jobs/${jobId}/neuron-sets`, headers: h.b.auth })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: `/v1/jobs/${jobId}/neuron-sets` })).statusCode).toBe(401);
    const bad = await h.app.inject({ method: 'GET', url: '/v1/jobs/nope/neuron-sets', headers: h.a.auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('params.id');
  });
});
