import type { AnalysisReport, FailureReason, Finding } from '@postwave/contracts';
import type { DeliverySettingsState } from './delivery-state';
import { targetFindings, type CompiledTypology } from './typology-checks';
import { lastWaveOffsetMs, planWaves } from './wave-plan';

const HOUR_MS = 3_600_000;

/** The report of an analysis that could not look at the target at all (no audience, bad filter…). */
export function failedAnalysis(typology: string, message: string, durationSeconds: number): AnalysisReport {
  return {
    targeted: 0,
    toDeliver: 0,
    excluded: 0,
    exclusionsByReason: {},
    findings: [{ rule: 'target', level: 'error', phase: 'start-of-targeting', message }],
    blocking: true,
    typology,
    durationSeconds,
  };
}

/**
 * The end of an analysis (Campaign §2.3): the wave plan for what is left to deliver, the control
 * rules that read the figures, the empty-target error, and whether anything blocks confirmation.
 */
export function concludeAnalysis(analysis: {
  readonly settings: DeliverySettingsState;
  readonly typology: CompiledTypology;
  readonly targeted: number;
  readonly toDeliver: number;
  readonly exclusionsByReason: Partial<Record<FailureReason, number>>;
  /** What the earlier phases found. */
  readonly findings: readonly Finding[];
  readonly durationSeconds: number;
}): AnalysisReport {
  const { settings, targeted, toDeliver, exclusionsByReason } = analysis;
  const findings = [...analysis.findings];
  const waves = planWaves(toDeliver, settings.waves);
  if (!waves.ok)
    findings.push({ rule: 'wave-plan', level: 'error', phase: 'end-of-targeting', message: waves.error });
  const plan = waves.ok ? waves.waves : [];
  const excluded = Object.values(exclusionsByReason).reduce((a, b) => a + b, 0);
  findings.push(
    ...targetFindings(analysis.typology, {
      targeted,
      toDeliver,
      excluded,
      validityHours: settings.validityHours,
      waves: plan.length,
      lastWaveOffsetHours: lastWaveOffsetMs(plan) / HOUR_MS,
      attachments: settings.content.attachments?.length ?? 0,
    }),
  );
  if (toDeliver === 0)
    findings.push({
      rule: 'empty-target',
      level: 'error',
      phase: 'end-of-analysis',
      message: 'no recipient left to deliver to',
    });
  return {
    targeted,
    toDeliver,
    excluded,
    exclusionsByReason,
    findings,
    blocking: findings.some((f) => f.level === 'error'),
    typology: settings.typology,
    waves: plan.map((w) => ({ index: w.index, offsetHours: w.offsetMs / HOUR_MS, size: w.size })),
    durationSeconds: analysis.durationSeconds,
  };
}
