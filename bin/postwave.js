#!/usr/bin/env node
// The `postwave` CLI. Runs the TypeScript sources through SWC (no build step needed after
// `npm install`); production images run the compiled output through tools/runtime/start.js.
const path = require('node:path');

process.env.SWC_NODE_PROJECT ??= path.join(__dirname, '..', 'tsconfig.base.json');
process.env.SWC_NODE_IGNORE_DYNAMIC ??= 'true';
require('@swc-node/register');
require('../apps/postwave/src/cli.ts');
