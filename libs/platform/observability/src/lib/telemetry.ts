import { NodeSDK } from '@opentelemetry/sdk-node';
import { SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';

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
  if (options.traces === 'none' && !options.exporter) {
    return { shutdown: async () => undefined };
  }
  process.env['OTEL_METRICS_EXPORTER'] ??= 'none';
  process.env['OTEL_LOGS_EXPORTER'] ??= 'none';
  if (options.traces === 'console') process.env['OTEL_TRACES_EXPORTER'] ??= 'console';
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    resourceDetectors: [],
    ...(options.exporter ? { spanProcessors: [new SimpleSpanProcessor(options.exporter)] } : {}),
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
