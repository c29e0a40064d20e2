import { readFileSync } from 'node:fs';
import { qualifyReply } from './qualify-reply';
it('bench', () => {
  const lines = readFileSync('/tmp/replies.txt', 'utf8').split('\n').filter(Boolean);
  const t = process.hrtime.bigint();
  let n = 0;
  for (let i = 0; i < 200; i++) for (const l of lines) { qualifyReply(l); n++; }
  const us = Number(process.hrtime.bigint() - t) / 1000 / n;
  console.log(`${us.toFixed(1)} us/reply over ${n}`);
  const big = 'x'.repeat(100000) + ' user unknown';
  const t2 = Date.now(); qualifyReply('550 ' + big); qualifyReply('550 ' + 'a.'.repeat(50000)); console.log('big', Date.now() - t2, 'ms');
});
