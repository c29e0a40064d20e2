/**
 * Metrics in the Prometheus text exposition format (version 0.0.4), which Prometheus, the
 * OpenTelemetry collector's prometheus receiver and most Kubernetes setups scrape. Services build
 * their samples from state they already keep; this only formats them.
 */
export interface MetricSample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Metric {
  /** snake_case with a unit suffix where one applies (`_total` for counters). */
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly samples: readonly MetricSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function formatPrometheus(metrics: readonly Metric[]): string {
  const lines: string[] = [];
  for (const metric of metrics) {
    if (!NAME.test(metric.name)) throw new Error(`metric name ${JSON.stringify(metric.name)} is not valid`);
    lines.push(`# HELP ${metric.name} ${metric.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    lines.push(`# TYPE ${metric.name} ${metric.type}`);
    for (const sample of metric.samples) {
      const labels = Object.entries(sample.labels ?? {});
      for (const [label] of labels)
        if (!LABEL.test(label))
          throw new Error(`label ${JSON.stringify(label)} of ${metric.name} is not valid`);
      const rendered = labels.length
        ? `{${labels.map(([label, value]) => `${label}="${escapeLabel(value)}"`).join(',')}}`
        : '';
      lines.push(`${metric.name}${rendered} ${formatValue(sample.value)}`);
    }
  }
  return lines.join('\n') + '\n';
}

const escapeLabel = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
