// @rimwatch/webhooks: signed alert webhooks — payload, signature, SSRF guard, dispatch and the delivery worker.
export * from './signature';
export * from './ssrf';
export * from './payload';
export * from './send';
export * from './dispatch';
export * from './worker';
