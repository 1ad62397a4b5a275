// BullMQ forks a plain Node child for a sandboxed processor and import()s this file; registering tsx
// lets it load the TypeScript processor (works whether or not the parent itself runs under tsx).
require('tsx/cjs');
module.exports = require('./process-job.ts');
