import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { RandomIdGenerator } from '@opentelemetry/sdk-trace-base';

// A fixed propagator, not the global one: trace context must cross the event log even when the
// SDK is not started (tracing off), so that a later consumer with tracing on can still join.
const w3c = new W3CTraceContextPropagator();
const tracer = () => trace.getTracer('postwave');

export { SpanKind };

export function traceparentOf(ctx: Context = context.active()): string | undefined {
  const carrier: Record<string, string> = {};
  w3c.inject(ctx, carrier, { set: (c, k, v) => (c[k] = v) });
  return carrier['traceparent'];
}

export function contextFromTraceparent(traceparent: string | undefined): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return w3c.extract(ROOT_CONTEXT, { traceparent }, { get: (c, k) => c[k], keys: (c) => Object.keys(c) });
}

export function linkTo(traceparent: string | undefined): Link[] {
  const spanContext = trace.getSpanContext(contextFromTraceparent(traceparent));
  return spanContext ? [{ context: spanContext }] : [];
}

export interface SpanOptions {
  /** Parent trace context; when absent the span is a child of the active context. */
  readonly parent?: string;
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
  readonly links?: Link[];
}

/**
 * Whether spans go anywhere. With tracing off (`startTelemetry` with traces "none" and no
 * exporter) a span is only its identity: a new span id in its parent's trace (or a new trace),
 * sampled unless the parent was not, so logs and emitted events still carry trace and span ids and
 * a later hop with an exporter still joins. The SDK would build, time and drop a full span instead:
 * with about five spans per message that was 7% of the MTA's event loop in bench:mta.
 */
let recording = true;
const ids = new RandomIdGenerator();

/** @internal Set by `startTelemetry`. */
export function setSpanRecording(on: boolean): void {
  recording = on;
}

function identityOnly(parent: Context): Span {
  const parentSpan = trace.getSpanContext(parent);
  const joined = parentSpan && isSpanContextValid(parentSpan) ? parentSpan : null;
  return trace.wrapSpanContext({
    traceId: joined?.traceId ?? ids.generateTraceId(),
    spanId: ids.generateSpanId(),
    traceFlags: joined?.traceFlags ?? TraceFlags.SAMPLED,
  });
}

/**
 * Runs `fn` inside a span; errors mark the span and propagate. With tracing off it adds no promise
 * of its own: the MTA runs one per message.
 */
export function withSpan<T>(name: string, options: SpanOptions, fn: () => Promise<T>): Promise<T> {
  const parent = options.parent !== undefined ? contextFromTraceparent(options.parent) : context.active();
  if (!recording) return context.with(trace.setSpan(parent, identityOnly(parent)), fn);
  return recorded(name, options, parent, fn);
}

async function recorded<T>(name: string, options: SpanOptions, parent: Context, fn: () => Promise<T>) {
  const span = tracer().startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes, links: options.links },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), fn);
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

export function activeTraceIds(): { trace_id?: string; span_id?: string } {
  const spanContext = trace.getSpanContext(context.active());
  return spanContext ? { trace_id: spanContext.traceId, span_id: spanContext.spanId } : {};
}

export { propagation };
