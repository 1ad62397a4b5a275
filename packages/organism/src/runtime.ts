// Model-running parts of the organism (pull in tfjs through @rimwatch/model).
export { loadChatModel, chat, type ChatModel, type ChatOptions, type ChatOutput } from './generation';
export { evaluateOrganism, type EvalOptions, type EvalResult } from './evaluate';
export { loadTokenizer as loadOrganismTokenizer, TOKENIZER_DIR } from './tokenizer';
export { ORGANISM_ARCH, ORGANISM_TRAIN, organismConfig, specialIds } from './organism';
