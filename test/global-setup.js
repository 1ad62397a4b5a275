// Jest global setup: the integration tests talk to real PostgreSQL and Redis. Make sure both answer
// (.ci/services.sh leaves running services alone and starts or installs missing ones), so
// `npm test` works on a fresh machine as the README promises.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async () => {
  if (process.env.RIMWATCH_SKIP_SERVICES === '1') return;
  execFileSync('bash', [path.join(__dirname, '..', '.ci', 'services.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
};
