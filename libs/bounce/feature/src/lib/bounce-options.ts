import type { SoftErrorSettings } from '@postwave/bounce/domain';

export const BOUNCE_OPTIONS = Symbol('BounceOptions');

export interface BounceOptions {
  /** Inbound SMTP listener for bounces, complaints and auto-replies sent to VERP addresses. */
  readonly smtpHost: string;
  /** 0 picks a free port (tests); null disables the listener. */
  readonly smtpPort: number | null;
  readonly verpSecret: string;
  readonly hostname: string;
  /** Largest inbound report accepted, in bytes. */
  readonly maxSize: number;
  /** The soft-error counter that feeds the quarantine. */
  readonly softErrors: SoftErrorSettings;
}
