/**
 * The neuron sets of a job (safety-critical and control, identified on the base model): size, the
 * model's layout, per-layer counts (for histograms) and the flat indices themselves.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ErrorBodySchema, IdParamsSchema, makeLayout, perLayerCounts } from '@rimwatch/contracts';
import { findTeamJob } from './jobs';

export const NeuronSetSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    kind: Type.Union([Type.Literal('safety'), Type.Literal('control')]),
    size: Type.Integer({ description: 'number of neurons in the set' }),
    neuronsPerLayer: Type.Array(Type.Integer(), { description: 'MLP neurons per layer of the model (the layout of the flat indices)' }),
    perLayer: Type.Array(Type.Integer(), { description: 'neurons of this set in each layer' }),
    indices: Type.Array(Type.Integer(), { description: 'flat neuron indices, layer 0 first (see NeuronLayout)' }),
    params: Type.Object({}, { additionalProperties: true, description: 'selection parameters (top-m, pooling, seed, ...)' }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { title: 'NeuronSet' },
);

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 404: ErrorBodySchema, 429: ErrorBodySchema };

const neuronSetsRoutes: FastifyPluginAsync = async (app) => {
  const { prisma } = app;

  app.get<{ Params: { id: string } }>(
    '/jobs/:id/neuron-sets',
    {
      schema: {
        summary: "A job's safety-critical and control neuron sets",
        tags: ['metrics'],
        params: IdParamsSchema,
        response: { 200: Type.Object({ items: Type.Array(NeuronSetSchema) }), ...errors },
      },
    },
    async (req) => {
      const job = await findTeamJob(prisma, req.auth.teamId, req.params.id);
      const rows = await prisma.neuronSet.findMany({ where: { jobId: job.id }, orderBy: { kind: 'asc' } });
      return {
        items: rows.map((s) => {
          const layout = makeLayout((s.layout as { neuronsPerLayer?: number[] } | null)?.neuronsPerLayer ?? []);
          // an index outside the stored layout would be a pipeline bug; count what fits rather than fail the page
          const total = layout.neuronsPerLayer.reduce((a, b) => a + b, 0);
          return {
            id: s.id,
            kind: s.kind,
            size: s.indices.length,
            neuronsPerLayer: [...layout.neuronsPerLayer],
            perLayer: perLayerCounts(layout, s.indices.filter((i) => i >= 0 && i < total)),
            indices: s.indices,
            params: (s.params ?? {}) as Record<string, unknown>,
            createdAt: s.createdAt.toISOString(),
          };
        }),
      };
    },
  );
};

export default neuronSetsRoutes;
