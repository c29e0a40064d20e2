import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import { createLogger } from './logger';
import { startTelemetry, type Telemetry } from './telemetry';
import { activeTraceIds, traceparentOf, withSpan } from './tracing';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

describe('spans with tracing off', () => {
  let telemetry: Telemetry;

  beforeAll(() => {
    telemetry = startTelemetry({ serviceName: 'observability-off-test', traces: 'none' });
  });

  afterAll(async () => {
    await telemetry.shutdown();
  });

  it('joins the trace of a given traceparent with a span id of its own, still sampled', async () => {
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

    const [inside, recording] = await withSpan('mta deliver', { parent }, async () => [
      traceparentOf(),
      trace.getActiveSpan()?.isRecording(),
    ]);

    // Nothing is built to be dropped: the span is its identity only.
    expect(recording).toBe(false);
    const [, traceId, spanId, flags] = TRACEPARENT.exec(String(inside)) ?? [];
    expect(traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(spanId).not.toBe('b7ad6b7169203331');
    expect(flags).toBe('01');
  });

  it('keeps a parent that was not sampled unsampled', async () => {
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';

    const inside = await withSpan('feedback apply', { parent }, async () => traceparentOf());

    expect(inside).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-00$/);
  });

  it('starts a new sampled trace without a parent, and nests a span under the active one', async () => {
    const [outer, inner] = await withSpan('planner command', {}, async () => [
      activeTraceIds(),
      await withSpan('planner emit', {}, async () => activeTraceIds()),
    ]);

    expect(outer?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(outer?.trace_id).not.toBe('00000000000000000000000000000000');
    expect(inner?.trace_id).toBe(outer?.trace_id);
    expect(inner?.span_id).not.toBe(outer?.span_id);
    expect(traceparentOf()).toBeUndefined();
  });

  it('gives log lines written inside a span its trace and span ids', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const logger = createLogger({ service: 'off-test', level: 'info', destination });

    const ids = await withSpan('bounce qualify', {}, async () => {
      logger.info('qualified');
      return activeTraceIds();
    });

    expect(lines).toEqual([expect.objectContaining({ msg: 'qualified', ...ids })]);
  });

  it('rethrows what the work throws', async () => {
    const failure = new Error('SMTP session exploded');

    await expect(
      withSpan('mta deliver', {}, async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
  });
});
