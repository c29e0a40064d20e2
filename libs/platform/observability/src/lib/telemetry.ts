import { NodeSDK } from '@opentelemetry/sdk-node';
import { SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { setSpanRecording } from './tracing';

export interface TelemetryOptions {
  readonly serviceName: string;
  /** `otlp` reads the standard OTEL_EXPORTER_OTLP_* variables; tests pass their own exporter. */
  readonly traces: 'otlp' | 'console' | 'none';
  readonly exporter?: SpanExporter;
}

export interface Telemetry {
  shutdown(): Promise<void>;
}

/**
 * Boots the OpenTelemetry SDK once per process. Call it before the app's modules load spans.
 * Resource detectors are off: the host detector's async `host.id` delays exports, and the
 * service name plus POSTWAVE_INSTANCE identify a process well enough.
 */
let active: Telemetry | null = null;

export function startTelemetry(options: TelemetryOptions): Telemetry {
  // One SDK per process: in the embedded mode (and in tests) several services share a process.
  if (active) return active;
  process.env['OTEL_METRICS_EXPORTER'] ??= 'none';
  process.env['OTEL_LOGS_EXPORTER'] ??= 'none';
  process.env['OTEL_TRACES_EXPORTER'] ??= options.traces;
  // With tracing "off" spans keep their ids but nothing else (see `withSpan`): trace ids keep
  // correlating logs and events across services, and a later hop with an exporter still joins the
  // same trace. The provider brings the context manager the active span lives in.
  if (options.traces === 'none' && !options.exporter) {
    const provider = new NodeTracerProvider();
    provider.register();
    setSpanRecording(false);
    active = {
      shutdown: async () => {
        active = null;
        setSpanRecording(true);
        await provider.shutdown();
      },
    };
    return active;
  }
  const spanProcessors = options.exporter ? [new SimpleSpanProcessor(options.exporter)] : undefined;
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    resourceDetectors: [],
    ...(spanProcessors ? { spanProcessors } : {}),
    instrumentations: [],
  });
  sdk.start();
  const started: Telemetry = {
    shutdown: async () => {
      active = null;
      await sdk.shutdown();
    },
  };
  active = started;
  return started;
}
