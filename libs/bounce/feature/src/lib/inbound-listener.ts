import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  extractMimePart,
  isAutoReply,
  parseDeliveryStatus,
  qualifyAutoReply,
  qualifyComplaint,
  qualifyDsnRecipient,
  type InboundQualification,
} from '@postwave/bounce/domain';
import { parseVerpAddress, verpPrefix } from '@postwave/contracts';
import { DATABASE, EVENT_LOG, EnvelopeFactory, LOGGER, type EventLog } from '@postwave/platform/eventing';
import type { Logger } from '@postwave/platform/observability';
import type { Database } from '@postwave/platform/persistence';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { BOUNCE_OPTIONS, type BounceOptions } from './bounce-options';
import type { BounceMessageRow } from './bounce.entities';
import { Unsubscribes } from './unsubscribes';

/**
 * The SMTP listener bounces come back to. RCPT is accepted only for VERP addresses whose tag
 * verifies, so forged bounces are refused before their data is read; each accepted report is
 * qualified and recorded as a `message.bounced` event for the message it names.
 */
@Injectable()
export class InboundListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private server: SMTPServer | null = null;
  private readonly envelopes = new EnvelopeFactory('/postwave/bounce-qualifier');
  port: number | null = null;

  constructor(
    @Inject(BOUNCE_OPTIONS) private readonly options: BounceOptions,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(EVENT_LOG) private readonly eventLog: EventLog,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(Unsubscribes) private readonly unsubscribes: Unsubscribes,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.smtpPort === null) return;
    this.server = new SMTPServer({
      name: this.options.hostname,
      banner: 'Postwave bounce processor',
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      size: this.options.maxSize,
      hideENHANCEDSTATUSCODES: false,
      logger: false,
      onRcptTo: (address, _session, callback) => {
        if (parseVerpAddress(address.address, this.options.verpSecret)) return callback();
        const error = Object.assign(new Error('No such bounce address'), { responseCode: 550 });
        callback(error);
      },
      onData: (stream, session, callback) => {
        this.receive(stream, session).then(
          (accepted) =>
            callback(
              accepted
                ? undefined
                : Object.assign(new Error('Message exceeds fixed maximum message size'), {
                    responseCode: 552,
                  }),
            ),
          (error: Error) => {
            this.logger.error({ err: error }, 'failed to process an inbound report');
            callback(Object.assign(new Error('Temporary processing failure'), { responseCode: 451 }));
          },
        );
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.smtpPort ?? 0, this.options.smtpHost, () => resolve());
    });
    this.server.on('error', (error) => this.logger.error({ err: error }, 'bounce listener error'));
    this.port = (this.server.server.address() as { port: number }).port;
    this.logger.info({ port: this.port }, 'bounce listener ready');
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** False when the report was larger than allowed: it is drained, not kept, and refused with 552. */
  private async receive(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<boolean> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream) {
      size += (chunk as Buffer).length;
      if (size <= this.options.maxSize) chunks.push(chunk as Buffer);
    }
    if (size > this.options.maxSize || stream.sizeExceeded) return false;
    const raw = Buffer.concat(chunks);
    const parsed = await simpleParser(raw);
    const unsubscribes = session.envelope.rcptTo.filter((rcpt) => verpPrefix(rcpt.address) === 'unsubscribe');
    if (unsubscribes.length > 0) {
      // List-Unsubscribe by mail: the address itself is the request, whatever the message says.
      await this.unsubscribes.record(
        unsubscribes
          .map((rcpt) => parseVerpAddress(rcpt.address, this.options.verpSecret))
          .filter((id): id is string => id !== null),
        'mailto',
      );
    }
    const messageIds = session.envelope.rcptTo
      .filter((rcpt) => verpPrefix(rcpt.address) !== 'unsubscribe')
      .map((rcpt) => parseVerpAddress(rcpt.address, this.options.verpSecret))
      .filter((id): id is string => id !== null);
    if (messageIds.length === 0) return true;
    const qualifications = qualifyReport(raw.toString('utf8'), parsed);
    if (qualifications.length === 0) return true;
    await this.db.transaction(async (em) => {
      for (const messageId of messageIds) {
        const message = await em.findOne<BounceMessageRow>('BounceMessage', { where: { messageId } });
        if (!message) continue;
        const facts = qualifications.map((q) => ({
          type: 'postwave.message.bounced.v1' as const,
          subject: messageId,
          data: {
            messageId,
            deliveryId: message.deliveryId,
            address: message.address,
            kind: q.kind,
            diagnostic: q.diagnostic,
            failureType: q.qualification.type,
            reason: q.qualification.reason,
            reasonCode: q.qualification.reasonCode,
            rule: q.qualification.rule,
            at: new Date().toISOString(),
          },
        }));
        await this.eventLog.appendIn(
          em,
          this.envelopes.wrap(facts, {
            correlationId: message.deliveryId,
            causationId: parsed.messageId ?? messageId,
          }),
        );
      }
    });
    return true;
  }
}

/** Tells a DSN from a complaint from an auto-reply, and qualifies it. */
export function qualifyReport(raw: string, mail: ParsedMail): InboundQualification[] {
  const feedback = extractMimePart(raw, 'message/feedback-report');
  if (feedback !== null)
    return [qualifyComplaint(/^Feedback-Type:\s*([\w-]+)/im.exec(feedback)?.[1] ?? null)];
  const status =
    extractMimePart(raw, 'message/delivery-status') ?? extractMimePart(raw, 'message/global-delivery-status');
  if (status !== null) {
    // One report may name several recipients; a VERP address is per message, so the first failure decides.
    const first = parseDeliveryStatus(status)
      .recipients.map(qualifyDsnRecipient)
      .find((q): q is InboundQualification => q !== null);
    return first ? [first] : [];
  }
  const headers = new Map<string, string>();
  for (const [key, value] of mail.headers)
    headers.set(key, typeof value === 'string' ? value : JSON.stringify(value));
  if (isAutoReply(headers, mail.subject ?? '')) return [qualifyAutoReply(mail.subject ?? '')];
  return [];
}
