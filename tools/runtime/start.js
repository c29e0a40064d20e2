#!/usr/bin/env node
// Runs a built app (`npx nx run <app>:build` → dist/apps/<app>) the way the container image does:
//   node tools/runtime/start.js <app> [args…]
// tsc keeps the workspace's path aliases (`@postwave/...`) in the emitted require() calls; this
// resolves them to the compiled libraries inside the app's own dist folder.
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');

const APPS = ['delivery-planner', 'sending-mta', 'bounce-qualifier', 'feedback-projector', 'postwave'];
const [app, ...args] = process.argv.slice(2);
if (!APPS.includes(app)) {
  process.stderr.write(`usage: start.js <${APPS.join('|')}> [args]\n`);
  process.exit(2);
}

const root = path.resolve(__dirname, '..', '..');
const distRoot = path.join(root, 'dist', 'apps', app);
const entry = path.join(distRoot, 'apps', app, 'src', app === 'postwave' ? 'cli.js' : 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write(`${entry} is missing: build it first with "npx nx run ${app}:build"\n`);
  process.exit(2);
}

const { compilerOptions } = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8'));
const aliases = new Map(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [alias, path.join(distRoot, target.replace(/\.ts$/, '.js'))]),
);
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, aliases.get(request) ?? request, ...rest);
};

process.argv = [process.argv[0], entry, ...args];
require('reflect-metadata');
require(entry);
