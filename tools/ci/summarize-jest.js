#!/usr/bin/env node
// Adds up Jest's "Tests: …" lines from the given logs into one closing "N passed, N failed" line.
const fs = require('node:fs');

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of process.argv.slice(2)) {
  const text = fs.readFileSync(file, 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
  for (const line of text.split('\n')) {
    const match = /(?:^|\s)Tests:\s+(.*)$/.exec(line.trim());
    if (!match) continue;
    const count = (word) => Number(new RegExp(`(\\d+) ${word}`).exec(match[1])?.[1] ?? 0);
    passed += count('passed');
    failed += count('failed');
    skipped += count('skipped') + count('todo');
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
