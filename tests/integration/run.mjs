// Runs the integration suite: starts the mock provider and the built worker
// in local workerd (wrangler dev, the same wrangler.toml that deploys it),
// then the test files with `node --test`, then stops everything.
//
// Usage: node tests/integration/run.mjs [file-or-name-filter ...]

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, startMock } from './lib/processes.mjs';

const here = import.meta.dirname;
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.test.mjs'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()
  .map((f) => join(here, f));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(2);
}

const masterKey = `mk-${randomBytes(16).toString('hex')}`;
const encryptionKey = randomBytes(32).toString('base64');

console.log('==> starting mock provider');
const mock = await startMock();
console.log(`    ${mock.url}`);
console.log('==> starting gateway (wrangler dev, local workerd)');
let gateway;
try {
  gateway = await startGateway({
    vars: {
      MASTER_KEY: masterKey,
      PROVIDER_KEY_ENCRYPTION_KEY: encryptionKey,
      // Short enough that the hanging-provider test ends quickly.
      UPSTREAM_TIMEOUT_MS: '3000',
      // Lets tests move the clock of limits and budgets (alephant-test-now).
      ALLOW_TEST_CLOCK: '1',
    },
  });
} catch (e) {
  console.error(e.message);
  await mock.stop();
  process.exit(1);
}
console.log(`    ${gateway.url}`);

console.log(`==> running ${files.length} test files`);
const code = await new Promise((resolve) => {
  const child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
    stdio: 'inherit',
    env: {
      ...process.env,
      GATEWAY_URL: gateway.url,
      GATEWAY_MASTER_KEY: masterKey,
      GATEWAY_STATE_DIR: gateway.stateDir,
      MOCK_URL: mock.url,
    },
  });
  child.once('exit', (c) => resolve(c ?? 1));
});

if (code !== 0) {
  console.error(`\n==> gateway log (last lines of ${gateway.log}):`);
  console.error(readFileSync(gateway.log, 'utf8').split('\n').slice(-60).join('\n'));
}
await gateway.stop();
await mock.stop();
process.exit(code);
