// Runs the integration suite: starts the mock provider and the built worker
// in local workerd (wrangler dev, the same wrangler.toml that deploys it),
// then the test files with `node --test`, then stops everything.
//
// Usage: node tests/integration/run.mjs [file-or-name-filter ...]

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, startGatewayWithFakes, startMock } from './lib/processes.mjs';
import { ACCESS_AUD, startAccessIssuer } from './lib/access.mjs';

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
// Cloudflare Access single sign-on, against a team stand-in on loopback.
const access = await startAccessIssuer();
console.log('==> starting gateway (wrangler dev, local workerd)');
const vars = {
  ACCESS_TEAM_DOMAIN: access.url,
  ACCESS_AUD,
  MASTER_KEY: masterKey,
  PROVIDER_KEY_ENCRYPTION_KEY: encryptionKey,
  // Short enough that the hanging-provider test ends quickly.
  UPSTREAM_TIMEOUT_MS: '3000',
  // Lets tests move the clock of limits and budgets (alephant-test-now)
  // and inject cache faults (alephant-test-fault).
  ALLOW_TEST_HOOKS: '1',
};
let gateway;
let fakes;
try {
  gateway = await startGateway({ vars });
  console.log(`    ${gateway.url}`);
  // The Vectorize and Workers AI code paths, against faithful fakes of the
  // bindings (index sized for @cf/baai/bge-small-en-v1.5).
  console.log('==> starting gateway with fake Vectorize and Workers AI bindings (Miniflare)');
  fakes = await startGatewayWithFakes({ vars, dimensions: 384 });
  console.log(`    ${fakes.url}`);
} catch (e) {
  console.error(e.message);
  await gateway?.stop();
  await mock.stop();
  process.exit(1);
}

console.log(`==> running ${files.length} test files`);
const code = await new Promise((resolve) => {
  const child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
    stdio: 'inherit',
    env: {
      ...process.env,
      GATEWAY_URL: gateway.url,
      FAKES_GATEWAY_URL: fakes.url,
      GATEWAY_MASTER_KEY: masterKey,
      GATEWAY_STATE_DIR: gateway.stateDir,
      MOCK_URL: mock.url,
      ACCESS_TEST_ISSUER: access.url,
      ACCESS_TEST_KEY_PEM: access.pem,
    },
  });
  child.once('exit', (c) => resolve(c ?? 1));
});

if (code !== 0) {
  for (const g of [gateway, fakes]) {
    console.error(`\n==> gateway log (last lines of ${g.log}):`);
    console.error(readFileSync(g.log, 'utf8').split('\n').slice(-40).join('\n'));
  }
}
await fakes.stop();
await gateway.stop();
await mock.stop();
await access.stop();
// The state of a passing run is of no further use (a failing one is kept).
if (code === 0) for (const g of [gateway, fakes]) rmSync(g.stateDir, { recursive: true, force: true });
process.exit(code);
