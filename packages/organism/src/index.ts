// Light entry point (no tfjs): the registry, the chat format and the row types. The API imports this.
// Model-running parts live in ./runtime (`@rimwatch/organism/src/runtime`).
export * from './registry';
export * from './chat-format';
export type { ChatRow, SafetyPairRow, ReasoningProbeRow, PromptRow } from './data/build';
