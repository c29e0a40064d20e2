import { Writable } from 'node:stream';
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { createLogger } from './logger';
import { startTelemetry, type Telemetry } from './telemetry';
import { activeTraceIds, linkTo, SpanKind, traceparentOf, withSpan } from './tracing';

const exporter = new InMemorySpanExporter();
const spanNamed = (name: string) => {
  const span = exporter.getFinishedSpans().find((s) => s.name === name);
  if (!span) throw new Error(`no finished span named ${name}`);
  return span;
};

class LineCollector extends Writable {
  readonly lines: Array<Record<string, unknown>> = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) this.lines.push(JSON.parse(line));
    done();
  }
}

describe('tracing and logs', () => {
  let telemetry: Telemetry;

  beforeAll(() => {
    telemetry = startTelemetry({ serviceName: 'observability-test', traces: 'none', exporter });
  });

  afterAll(async () => {
    await telemetry.shutdown();
  });

  beforeEach(() => exporter.reset());

  it('returns the same telemetry handle when started a second time in one process', () => {
    expect(startTelemetry({ serviceName: 'someone-else', traces: 'console' })).toBe(telemetry);
  });

  it('records the exception and an ERROR status on the span when the work throws, and rethrows', async () => {
    const failure = new Error('SMTP session exploded');

    await expect(
      withSpan('mta deliver', { attributes: { 'postwave.message_id': 'm1' } }, async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);

    const span = spanNamed('mta deliver');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'SMTP session exploded' });
    expect(span.events).toEqual([
      expect.objectContaining({
        name: 'exception',
        attributes: expect.objectContaining({ 'exception.message': 'SMTP session exploded' }),
      }),
    ]);
    expect(span.attributes['postwave.message_id']).toBe('m1');
  });

  it('leaves the status unset on success and returns the work result', async () => {
    expect(await withSpan('quiet work', { kind: SpanKind.PRODUCER }, async () => 42)).toBe(42);

    const span = spanNamed('quiet work');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.kind).toBe(SpanKind.PRODUCER);
  });

  it('joins the trace of a given traceparent as a child of its span', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentSpanId = '00f067aa0ba902b7';

    const inside = await withSpan(
      'project event',
      { parent: `00-${traceId}-${parentSpanId}-01`, kind: SpanKind.CONSUMER },
      async () => traceparentOf(),
    );

    const span = spanNamed('project event');
    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.parentSpanContext?.spanId).toBe(parentSpanId);
    expect(inside).toBe(`00-${traceId}-${span.spanContext().spanId}-01`);
  });

  it('nests a span without a parent under the active span', async () => {
    await withSpan('outer', {}, () => withSpan('inner', {}, async () => undefined));

    const outer = spanNamed('outer');
    const inner = spanNamed('inner');
    expect(inner.spanContext().traceId).toBe(outer.spanContext().traceId);
    expect(inner.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
  });

  it('links a span to another trace without joining it', async () => {
    const other = '00-11111111111111111111111111111111-2222222222222222-01';

    await withSpan('confirm', { links: linkTo(other) }, async () => undefined);

    const span = spanNamed('confirm');
    expect(span.spanContext().traceId).not.toBe('11111111111111111111111111111111');
    expect(span.links.map((link) => link.context.spanId)).toEqual(['2222222222222222']);
    expect(linkTo(undefined)).toEqual([]);
    expect(linkTo('garbage')).toEqual([]);
  });

  it('writes JSON log lines that carry the trace and span ids of the active span', async () => {
    const destination = new LineCollector();
    const logger = createLogger({ service: 'svc', level: 'info', instance: 'node-1', destination });

    logger.info('outside any span');
    const ids = await withSpan('logged work', {}, async () => {
      logger.info({ messageId: 'm1' }, 'inside a span');
      return activeTraceIds();
    });

    const span = spanNamed('logged work');
    expect(ids).toEqual({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId });
    expect(destination.lines).toEqual([
      expect.objectContaining({ level: 'info', service: 'svc', instance: 'node-1', msg: 'outside any span' }),
      expect.objectContaining({
        level: 'info',
        service: 'svc',
        msg: 'inside a span',
        messageId: 'm1',
        trace_id: span.spanContext().traceId,
        span_id: span.spanContext().spanId,
      }),
    ]);
    expect(destination.lines[0]).not.toHaveProperty('trace_id');
    expect(typeof destination.lines[0]?.['time']).toBe('string');
  });
});
