// Builds the console into build/console/console/ (served at /console/ by
// Workers Static Assets): index.html, app.js, app.css — everything bundled,
// nothing from a CDN. Prints the gzip sizes; fails above the size budget.
//
// Usage: node console/build.mjs

import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const here = import.meta.dirname;
const root = dirname(here);
const out = join(root, 'build', 'console', 'console');
const BUDGET = 200 * 1024;

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const common = { bundle: true, minify: true, write: false, logLevel: 'warning', legalComments: 'none' };
const [js, css] = await Promise.all([
  build({
    ...common,
    entryPoints: [join(here, 'src', 'main.tsx')],
    outfile: join(out, 'app.js'),
    format: 'iife',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    loader: { '.json': 'json' },
    define: { 'process.env.NODE_ENV': '"production"' },
  }),
  build({ ...common, entryPoints: [join(here, 'style.css')], outfile: join(out, 'app.css'), loader: { '.css': 'css' } }),
]);

const files = { 'app.js': js.outputFiles[0].contents, 'app.css': css.outputFiles[0].contents };
const version = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 12);
// A content hash on each asset URL, so a new deploy is never served stale code.
files['index.html'] = Buffer.from(
  readFileSync(join(here, 'index.html'), 'utf8')
    .replace('./app.css', `./app.css?v=${version(files['app.css'])}`)
    .replace('./app.js', `./app.js?v=${version(files['app.js'])}`),
);

let total = 0;
for (const [name, bytes] of Object.entries(files)) {
  writeFileSync(join(out, name), bytes);
  const gz = gzipSync(bytes, { level: 9 }).length;
  total += gz;
  console.log(`  ${relative(root, join(out, name)).padEnd(34)} ${(bytes.length / 1024).toFixed(1).padStart(7)} KB  ${(gz / 1024).toFixed(1).padStart(6)} KB gzip`);
}
console.log(`  console total: ${(total / 1024).toFixed(1)} KB gzip (budget ${BUDGET / 1024} KB)`);
if (total > BUDGET) {
  console.error(`console build is ${(total / 1024).toFixed(1)} KB gzip, over the ${BUDGET / 1024} KB budget`);
  process.exit(1);
}
