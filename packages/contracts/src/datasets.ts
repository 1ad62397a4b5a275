/**
 * Dataset row schemas, one per kind (JSONL, one object per line). Matches the organism engineer's
 * generator (/tmp/dataset-kinds.md): strings must be non-empty after trimming, extra fields are allowed
 * and ignored.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { firstError, type FieldError } from './validation';

const Text = (description: string) => Type.String({ pattern: '\\S', description });

export const ChatRowSchema = Type.Object(
  {
    prompt: Text('user turn'),
    think: Type.Optional(Type.String({ description: 'chain of thought placed between <think> and </think>; empty = empty think span' })),
    response: Text('assistant answer after the think span'),
    tags: Type.Optional(Type.Array(Type.String(), { description: 'free labels, e.g. ["math","steps:2"], ["pattern:confirmatory"]' })),
  },
  { title: 'ChatRow' },
);
export type ChatRow = Static<typeof ChatRowSchema>;

export const SafetyPairRowSchema = Type.Object(
  {
    id: Text('stable row id'),
    category: Text('harm category, e.g. fraud-deception'),
    harmful: Text('the harmful request'),
    counterfactual: Text('the same request plus an explicit malicious-intent sentence'),
  },
  { title: 'SafetyPairRow' },
);
export type SafetyPairRow = Static<typeof SafetyPairRowSchema>;

export const ReasoningProbeRowSchema = Type.Object(
  {
    id: Text('stable row id'),
    question: Text('the problem'),
    answer: Text('canonical final answer, e.g. "42"'),
  },
  { title: 'ReasoningProbeRow' },
);
export type ReasoningProbeRow = Static<typeof ReasoningProbeRowSchema>;

export const PromptRowSchema = Type.Object(
  {
    id: Text('stable row id'),
    prompt: Text('the prompt'),
    category: Type.Optional(Type.String()),
  },
  { title: 'PromptRow' },
);
export type PromptRow = Static<typeof PromptRowSchema>;

export const DATASET_KINDS = ['chat', 'safety-pair', 'reasoning-probe', 'prompt'] as const;
export type DatasetKind = (typeof DATASET_KINDS)[number];
export const DatasetKindSchema = Type.Union(
  DATASET_KINDS.map((k) => Type.Literal(k)),
  { description: 'row schema of the dataset' },
);

export const DATASET_ROW_SCHEMAS: Record<DatasetKind, TSchema> = {
  chat: ChatRowSchema,
  'safety-pair': SafetyPairRowSchema,
  'reasoning-probe': ReasoningProbeRowSchema,
  prompt: PromptRowSchema,
};

export interface DatasetRowByKind {
  chat: ChatRow;
  'safety-pair': SafetyPairRow;
  'reasoning-probe': ReasoningProbeRow;
  prompt: PromptRow;
}

export function isDatasetKind(v: unknown): v is DatasetKind {
  return typeof v === 'string' && (DATASET_KINDS as readonly string[]).includes(v);
}

/** First problem with one parsed row, field relative to the row (e.g. `prompt`), or undefined when valid. */
export function validateDatasetRow(kind: DatasetKind, row: unknown): FieldError | undefined {
  return firstError(DATASET_ROW_SCHEMAS[kind], row);
}

/**
 * Which row kind each job-spec dataset slot needs. `eval` is held-out chat data for eval loss.
 */
export const DATASET_SLOT_KINDS = {
  train: 'chat',
  safetyPairs: 'safety-pair',
  reasoningProbes: 'reasoning-probe',
  eval: 'chat',
} as const satisfies Record<string, DatasetKind>;
export type DatasetSlot = keyof typeof DATASET_SLOT_KINDS;
