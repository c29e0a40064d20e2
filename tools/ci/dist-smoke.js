#!/usr/bin/env node
// `npm run test:dist`: the compiled embedded app, run the way the container image runs it
// (`node tools/runtime/start.js postwave start` after `npm run build`), sends a delivery to its
// mailbox simulator. Checks what only the compiled output can get wrong: the path aliases, and the
// message build thread, which loads its own code. Loopback only; everything it starts is stopped.
// Prints Jest's "Tests:" line so tools/ci/summarize-jest.js counts its checks.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const entry = path.join(root, 'dist', 'apps', 'postwave', 'apps', 'postwave', 'src', 'cli.js');
const RECIPIENTS = ['ada@example.sim', 'bo@example.sim', 'cy@example.sim'];

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      if (error.final) throw error;
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${last.message})` : ''}`);
    await sleep(200);
  }
}

async function main() {
  if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postwave-dist-'));
  const [http, simulator, bounce] = [await freePort(), await freePort(), await freePort()];
  const inbox = path.join(dir, 'inbox');
  const child = spawn(
    process.execPath,
    [path.join(root, 'tools', 'runtime', 'start.js'), 'postwave', 'start'],
    {
      cwd: dir,
      env: {
        // The embedded mode: CI's KAFKA_BROKERS (set for the integration tests) must not switch it.
        ...Object.fromEntries(
          Object.entries(process.env).filter(([key]) => key !== 'KAFKA_BROKERS' && key !== 'DATABASE_URL'),
        ),
        SQLITE_PATH: path.join(dir, 'data', 'postwave.sqlite'),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(http),
        SIMULATOR_PORT: String(simulator),
        SIMULATOR_INBOX_DIR: inbox,
        BOUNCE_SMTP_HOST: '127.0.0.1',
        BOUNCE_SMTP_PORT: String(bounce),
        MTA_BUILD_THREADS: '1',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  let exitCode = null;
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve((exitCode = code ?? -1))));
  const checks = [];
  const check = (name, ok, detail) => {
    checks.push({ name, ok });
    process.stdout.write(`${ok ? '✓' : '✕'} ${name}${ok ? '' : `: ${detail}`}\n`);
  };
  const base = `http://127.0.0.1:${http}`;
  try {
    await until(
      'GET /health',
      async () => {
        if (exitCode !== null)
          throw Object.assign(new Error(`the app exited with code ${exitCode}`), { final: true });
        return (await fetch(`${base}/health`)).ok;
      },
      60_000,
    );
    check('the compiled app starts and answers /health', true);

    const created = await fetch(`${base}/v1/deliveries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        deliveryId: 'dist-smoke',
        approvalMode: 'Automatic',
        content: {
          sender: { address: 'news@shop.example', name: 'Shop' },
          subject: 'Hello {{ firstName }}',
          html: '<p>Hello {{ firstName }}</p>{% for i in (1..3) %}<p>Item {{ i }}</p>{% endfor %}',
        },
        recipients: RECIPIENTS.map((address) => ({
          address,
          attributes: { firstName: address.split('@')[0] },
        })),
      }),
    });
    if (created.status !== 201)
      throw new Error(`POST /v1/deliveries → ${created.status} ${await created.text()}`);
    const summary = await until(
      'every message Sent',
      async () => {
        const body = await (await fetch(`${base}/v1/deliveries/dist-smoke`)).json();
        return body.kpis && body.kpis.success === RECIPIENTS.length ? body : null;
      },
      60_000,
    );
    check(
      'a delivery to the simulator ends with every message Sent',
      summary.state === 'Finished',
      summary.state,
    );

    const metrics = await (await fetch(`${base}/metrics`)).text();
    const built = (where) =>
      Number(
        new RegExp(`^postwave_mta_messages_built_total\\{where="${where}"\\} (\\S+)$`, 'm').exec(
          metrics,
        )?.[1],
      );
    check(
      'the messages were built on the build thread',
      built('thread') >= RECIPIENTS.length && built('in-process') === 0,
      `thread ${built('thread')}, in-process ${built('in-process')}`,
    );

    const files = fs.existsSync(inbox) ? fs.readdirSync(inbox).filter((file) => file.endsWith('.eml')) : [];
    const messages = files.map((file) => fs.readFileSync(path.join(inbox, file), 'utf8'));
    check(
      'the simulator kept each message, personalized and DKIM-signed',
      messages.length === RECIPIENTS.length &&
        RECIPIENTS.every((address) =>
          messages.some(
            (raw) =>
              raw.includes(`Subject: Hello ${address.split('@')[0]}`) && /^DKIM-Signature: /m.test(raw),
          ),
        ),
      `${messages.length} message(s) in ${inbox}`,
    );
  } catch (error) {
    check('the compiled app sends a delivery', false, error.message);
  } finally {
    child.kill('SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
    if (!stopped) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const failed = checks.filter((c) => !c.ok).length;
  if (failed > 0) process.stdout.write(`\napp output:\n${output.slice(-4000)}\n`);
  process.stdout.write(
    `Tests:       ${failed > 0 ? `${failed} failed, ` : ''}${checks.length - failed} passed, ${checks.length} total\n`,
  );
  process.exit(failed > 0 ? 1 : 0);
}

main().catch((error) => {
  process.stderr.write(`dist-smoke: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
