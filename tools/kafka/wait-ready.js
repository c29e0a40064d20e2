#!/usr/bin/env node
// Waits until a Kafka broker answers a metadata request (kafkajs admin.listTopics).
// Usage: node tools/kafka/wait-ready.js <host:port> [timeoutSeconds=90] [brokerPid]
// Exits 0 when the broker answers, 1 on timeout or when brokerPid is given and that process has died.
// Once it answers, it also warms what a fresh broker sets up lazily, so the first test does not pay for it
// (nor log kafkajs retry errors): a group coordinator lookup creates __consumer_offsets, and an idempotent
// producer's InitProducerId makes the broker fetch its first block of producer ids from the controller.
const { Kafka, logLevel } = require('kafkajs');

const [bootstrap = '127.0.0.1:9092', timeoutArg = '90', pidArg] = process.argv.slice(2);
const timeoutMs = Number(timeoutArg) * 1000;
const pid = pidArg ? Number(pidArg) : undefined;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const isAlive = (p) => {
  try {
    process.kill(p, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
};

const client = (retry) =>
  new Kafka({
    clientId: 'postwave-kafka-wait-ready',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry,
  });

async function withAdmin(retry, fn) {
  const admin = client(retry).admin();
  try {
    await admin.connect();
    return await fn(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

const probe = () => withAdmin({ retries: 0 }, (admin) => admin.listTopics());

// Best effort: a failure here is reported but does not fail the readiness check.
async function warmUp() {
  const retry = { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 };
  try {
    await withAdmin(retry, (admin) => admin.describeGroups(['postwave-kafka-wait-ready']));
    const producer = client(retry).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect(); // sends InitProducerId
    await producer.disconnect();
  } catch (err) {
    console.error(`kafka: warm-up incomplete (${err instanceof Error ? err.message : err})`);
  }
}

async function main() {
  const started = Date.now();
  let lastError = 'no attempt';
  while (Date.now() - started < timeoutMs) {
    if (pid !== undefined && !isAlive(pid)) {
      console.error(`kafka: broker process ${pid} exited before it was ready`);
      return 1;
    }
    try {
      const topics = await probe();
      await warmUp();
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      console.log(`kafka: ${bootstrap} ready after ${secs}s (${topics.length} topics)`);
      return 0;
    } catch (err) {
      lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    await sleep(500);
  }
  console.error(`kafka: ${bootstrap} not ready after ${timeoutArg}s (last error: ${lastError})`);
  return 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
