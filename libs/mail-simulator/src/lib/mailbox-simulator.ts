import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { SMTPServer, SMTPServerAddress, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { summarizeHeaders, parseHeaderBlock } from './header-parser';
import { EmlInbox, type EmlDraft } from './eml-inbox';
import { HeldReplies } from './held-replies';
import { discardingSink, receiveMessage, traceHeaders } from './message-receiver';
import { BUILT_IN_PERSONALITIES, GENERIC_PERSONALITY, validatePersonalities } from './personalities';
import { renderReply, type ProviderPersonality, type ReplyKind, type ReplyVars } from './personality-schema';
import { decideRcpt } from './rcpt-policy';
import { parseRecipientBehaviour } from './recipient-behaviour';
import { planReports } from './report-planner';
import { ReportDispatcher } from './report-dispatcher';
import { domainOf, matchesDomainPattern } from './simulator-domains';
import type { AcceptedMessage, ReportRecord, SimulatorOptions, SimulatorStats } from './simulator-types';
import { close, createSmtpServer, listen } from './smtp-listener';
import { ReplyChannel, type SmtpReply } from './smtp-reply';
import { TrafficState } from './traffic-state';

const DEFAULT_HOSTNAME = 'mx.simulator.postwave.test';

export interface MailboxSimulatorEvents {
  message: [AcceptedMessage];
  report: [ReportRecord];
}

type DataCallback = (err?: Error | null, message?: string) => void;

/**
 * A real SMTP server that behaves like the mailboxes and providers a campaign meets:
 * behaviour by recipient local part (see README), wording and limits by provider personality.
 */
export class MailboxSimulator extends EventEmitter<MailboxSimulatorEvents> {
  private readonly server: SMTPServer;
  private readonly hostname: string;
  private readonly personalities: ProviderPersonality[];
  private readonly traffic: TrafficState;
  private readonly replies = new ReplyChannel();
  private readonly held = new HeldReplies();
  private readonly dispatcher: ReportDispatcher;
  private readonly inbox?: EmlInbox;
  private readonly log: (entry: Record<string, unknown>) => void;
  private readonly acceptedList: AcceptedMessage[] = [];
  private readonly reportList: ReportRecord[] = [];
  private readonly idTag = randomBytes(3).toString('hex');
  private sequence = 0;
  private listeningPort = 0;
  private stopping?: Promise<void>;
  private readonly counters: SimulatorStats = {
    connectionsTotal: 0,
    connectionsOpen: 0,
    messagesAccepted: 0,
    bytesAccepted: 0,
    recipientsAccepted: 0,
    rejections: {},
    reports: { scheduled: 0, sent: 0, failed: 0, skipped: 0, cancelled: 0 },
  };

  static async start(options: SimulatorOptions): Promise<MailboxSimulator> {
    const simulator = new MailboxSimulator(options);
    await simulator.inbox?.init();
    simulator.listeningPort = await listen(simulator.server, options.port, options.host ?? '127.0.0.1');
    return simulator;
  }

  private constructor(private readonly options: SimulatorOptions) {
    super();
    this.hostname = options.hostname ?? DEFAULT_HOSTNAME;
    this.personalities = validatePersonalities(options.personalities ?? BUILT_IN_PERSONALITIES);
    this.traffic = new TrafficState(options.clock ?? Date.now);
    this.log = options.logger ?? (() => undefined);
    if (options.inboxDir) this.inbox = new EmlInbox(options.inboxDir);
    this.dispatcher = new ReportDispatcher(options.dsnReturn, this.hostname, (record, previous) =>
      this.onReportUpdate(record, previous),
    );
    const listenerOptions = {
      hostname: this.hostname,
      maxMessageSize: options.maxMessageSize ?? 35 * 1024 * 1024,
      closeTimeoutMs: options.closeTimeoutMs ?? 1_000,
    };
    this.server = createSmtpServer(listenerOptions, {
      onConnect: (session, cb) => this.handleConnect(session, cb),
      onRcptTo: (address, session, cb) => this.handleRcpt(address, session, cb),
      onData: (stream, session, cb) => this.handleData(stream, session, cb),
      onClose: (session) => this.handleClose(session),
    });
    this.server.on('error', (err) => this.log({ event: 'server.error', error: err.message }));
  }

  get port(): number {
    return this.listeningPort;
  }

  /** The most recent accepted messages (see `retainAccepted`), oldest first. */
  get accepted(): ReadonlyArray<AcceptedMessage> {
    return this.acceptedList;
  }

  /** Asynchronous reports (DSN, ARF, auto-reply) with their current status. */
  get reports(): ReadonlyArray<ReportRecord> {
    return this.reportList;
  }

  stats(): SimulatorStats {
    const c = this.counters;
    return { ...c, rejections: { ...c.rejections }, reports: { ...c.reports } };
  }

  /** Resolves with the first accepted message (already received or next) matching `predicate`. */
  waitForMessage(
    predicate: (m: AcceptedMessage) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<AcceptedMessage> {
    const found = this.acceptedList.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const onMessage = (m: AcceptedMessage) => {
        if (!predicate(m)) return;
        clearTimeout(timer);
        this.off('message', onMessage);
        resolve(m);
      };
      const timer = setTimeout(() => {
        this.off('message', onMessage);
        reject(new Error(`No matching message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.on('message', onMessage);
    });
  }

  /** Resolves once no report is scheduled or being sent. */
  reportsSettled(): Promise<void> {
    return this.dispatcher.idle();
  }

  /** Stops listening, releases held replies, cancels unsent reports and closes connections. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.held.releaseAll();
      await Promise.all([this.dispatcher.close(), close(this.server)]);
    })();
    return this.stopping;
  }

  private personalityOf(address: string): ProviderPersonality {
    const domain = domainOf(address);
    return (
      this.personalities.find((p) => p.domains.some((d) => matchesDomainPattern(domain, d))) ??
      GENERIC_PERSONALITY
    );
  }

  private render(
    kind: ReplyKind,
    p: ProviderPersonality,
    session: SMTPServerSession,
    rcpt: string,
    queueId = '',
  ): SmtpReply {
    const vars: ReplyVars = {
      rcpt,
      domain: domainOf(rcpt),
      ip: session.remoteAddress,
      hostname: this.hostname,
      sessionId: session.id,
      queueId,
    };
    return renderReply(p.replies[kind], vars);
  }

  private refused(session: SMTPServerSession, reply: SmtpReply, context: Record<string, unknown>): Error {
    const key = [reply.code, reply.enhanced].filter(Boolean).join(' ');
    this.counters.rejections[key] = (this.counters.rejections[key] ?? 0) + 1;
    this.log({
      event: 'reply.refused',
      session: session.id,
      code: reply.code,
      enhanced: reply.enhanced,
      ...context,
    });
    return this.replies.reject(session, reply);
  }

  private handleConnect(session: SMTPServerSession, cb: (err?: Error | null) => void): void {
    this.counters.connectionsTotal++;
    this.counters.connectionsOpen++;
    if (!this.replies.attach(this.server, session)) {
      this.log({ event: 'reply.unformatted', session: session.id, reason: 'connection not found' });
    }
    cb();
  }

  private handleClose(session: SMTPServerSession): void {
    this.counters.connectionsOpen--;
    this.traffic.leaveConnection(session.id);
  }

  private handleRcpt(
    address: SMTPServerAddress,
    session: SMTPServerSession,
    cb: (err?: Error | null) => void,
  ): void {
    const rcpt = address.address;
    const personality = this.personalityOf(rcpt);
    const behaviour = parseRecipientBehaviour(rcpt);
    const decision = decideRcpt({
      address: rcpt,
      session,
      personality,
      behaviour,
      traffic: this.traffic,
      personalityOf: (a) => this.personalityOf(a),
    });
    const reply = () => {
      if (!decision.refuse) return cb();
      const smtpReply = this.render(decision.refuse, personality, session, rcpt);
      cb(
        this.refused(session, smtpReply, {
          stage: 'RCPT',
          rcpt,
          personality: personality.name,
          kind: decision.refuse,
        }),
      );
    };
    if (decision.delayMs > 0) void this.held.wait(decision.delayMs).then(reply);
    else reply();
  }

  private handleData(stream: SMTPServerDataStream, session: SMTPServerSession, done: DataCallback): void {
    // A throwing 'message' listener must not make smtp-server reply twice.
    let replied = false;
    const cb: DataCallback = (err, message) => {
      if (!replied) done(err, message);
      replied = true;
    };
    const id = `${Date.now().toString(36)}-${this.idTag}-${(++this.sequence).toString(36)}`;
    const receivedAt = new Date();
    const draft = this.inbox?.open(id, traceHeaders(session, this.hostname, id, receivedAt));
    receiveMessage(stream, draft?.stream ?? discardingSink())
      .then(async ({ inspector, sinkError }) => {
        if (sinkError) throw sinkError;
        await this.finishData(session, stream, id, receivedAt, inspector.size, inspector.headers, draft, cb);
      })
      .catch(async (err: Error) => {
        await draft?.discard();
        this.log({ event: 'data.error', session: session.id, error: err.message });
        const reply: SmtpReply = {
          code: 451,
          enhanced: '4.3.0',
          lines: ['Local error in processing, try again later'],
        };
        cb(this.refused(session, reply, { stage: 'DATA' }));
      });
  }

  private async finishData(
    session: SMTPServerSession,
    stream: SMTPServerDataStream,
    id: string,
    receivedAt: Date,
    size: number,
    rawHeaders: string,
    draft: EmlDraft | undefined,
    cb: DataCallback,
  ): Promise<void> {
    const recipients = session.envelope.rcptTo.map((r) => r.address);
    const behaviours = recipients.map((r) => [r, parseRecipientBehaviour(r)] as const);
    const slowest = Math.max(0, ...behaviours.map(([, b]) => (b.kind === 'slow' ? b.delayMs : 0)));
    if (slowest > 0) await this.held.wait(slowest);
    if (stream.sizeExceeded) {
      // smtp-server answers 552 5.3.4 itself (rejectOversized); only the draft needs cleaning.
      await draft?.discard();
      return cb(new Error('Message too big'));
    }
    const refusedBy = behaviours.find(([, b]) => b.kind === 'reject-data')?.[0];
    if (refusedBy) {
      await draft?.discard();
      const reply = this.render('contentRejected', this.personalityOf(refusedBy), session, refusedBy, id);
      return cb(this.refused(session, reply, { stage: 'DATA', rcpt: refusedBy }));
    }
    const summary = summarizeHeaders(parseHeaderBlock(rawHeaders));
    const message: AcceptedMessage = {
      id,
      receivedAt,
      clientAddress: session.remoteAddress,
      clientHelo: session.hostNameAppearsAs ?? '',
      mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
      recipients,
      size,
      rawHeaders,
      messageId: summary.messageId,
      subject: summary.subject,
      dkimSigned: summary.dkimSignatures.length > 0,
      dkimSignatures: summary.dkimSignatures,
      emlPath: draft ? await draft.commit() : undefined,
    };
    this.record(message, session);
    this.scheduleReports(message, session, summary.autoSubmitted);
    const first = this.personalityOf(recipients[0] ?? '');
    cb(null, this.replies.accept(session, this.render('accepted', first, session, recipients[0] ?? '', id)));
  }

  private record(message: AcceptedMessage, session: SMTPServerSession): void {
    const c = this.counters;
    c.messagesAccepted++;
    c.bytesAccepted += message.size;
    c.recipientsAccepted += message.recipients.length;
    this.acceptedList.push(message);
    if (this.acceptedList.length > (this.options.retainAccepted ?? 10_000)) this.acceptedList.shift();
    for (const name of new Set(message.recipients.map((r) => this.personalityOf(r).name))) {
      this.traffic.recordMessage(name, session.remoteAddress);
    }
    this.log({
      event: 'message.accepted',
      id: message.id,
      from: message.mailFrom,
      to: message.recipients,
      size: message.size,
    });
    this.notify('message', () => this.emit('message', message));
  }

  private scheduleReports(
    message: AcceptedMessage,
    session: SMTPServerSession,
    autoSubmitted?: string,
  ): void {
    const plans = planReports({
      message,
      envelope: session.envelope,
      hostname: this.hostname,
      autoSubmitted,
      failureReply: (rcpt) => this.render('userUnknown', this.personalityOf(rcpt), session, rcpt),
    });
    const retain = this.options.retainAccepted ?? 10_000;
    for (const { record, compose, delayMs } of plans) {
      this.reportList.push(record);
      if (this.reportList.length > retain) this.reportList.shift();
      this.counters.reports.scheduled++;
      this.notify('report', () => this.emit('report', record));
      this.dispatcher.schedule(record, compose, delayMs ?? this.options.reportDelayMs ?? 0);
    }
  }

  /** stats().reports counts every report once, under its current status. */
  private onReportUpdate(record: ReportRecord, previous: ReportRecord['status']): void {
    this.counters.reports[previous]--;
    this.counters.reports[record.status]++;
    this.log({
      event: `report.${record.status}`,
      kind: record.kind,
      to: record.to,
      rcpt: record.recipient,
      detail: record.detail,
    });
    this.notify('report', () => this.emit('report', record));
  }

  /** A listener that throws must not turn an accepted message into a 451 or stop a report. */
  private notify(event: keyof MailboxSimulatorEvents, emit: () => void): void {
    try {
      emit();
    } catch (err) {
      this.log({ event: 'listener.error', on: event, error: (err as Error).message });
    }
  }
}
