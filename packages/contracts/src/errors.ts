import { Type, type Static } from '@sinclair/typebox';

/** Every 4xx/5xx answer of the API has this shape. */
export const ErrorBodySchema = Type.Object(
  {
    error: Type.String({ description: 'machine-readable code, e.g. validation_failed, not_found, unauthorized' }),
    message: Type.String({ description: 'human-readable explanation' }),
    field: Type.Optional(Type.String({ description: 'dotted path of the offending input, e.g. spec.training.learningRate' })),
  },
  { title: 'ErrorBody' },
);
export type ErrorBody = Static<typeof ErrorBodySchema>;

export const ERROR_CODES = {
  validation: 'validation_failed',
  unauthorized: 'unauthorized',
  notFound: 'not_found',
  conflict: 'conflict',
  payloadTooLarge: 'payload_too_large',
  rateLimited: 'rate_limited',
  notModified: 'not_modified',
  unavailable: 'service_unavailable',
  internal: 'internal_error',
} as const;
