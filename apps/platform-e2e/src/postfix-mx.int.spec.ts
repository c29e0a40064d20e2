import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, waitFor, type DeliverySummary, type MessageRow } from '@postwave/testing';
import { EmbeddedPostwave } from './embedded-postwave';
import { LoopbackDns } from './loopback-dns';
import { loopbackWithFreePort25, PrivatePostfix } from './private-postfix';

const DOMAIN = 'postfix.test';
const MX_HOST = 'mx.postfix.test';

/** What the real Postfix answers at RCPT (its access map); everyone else is accepted. */
const REPLIES = {
  [`unknown@${DOMAIN}`]: '550 5.1.1 User unknown in local recipient table',
  [`full@${DOMAIN}`]: '452 4.2.2 Mailbox full',
  [`blocked@${DOMAIN}`]: '554 5.7.1 Service unavailable; Client host blocked using zen.spamhaus.org',
};

/**
 * Postwave delivers to Debian's Postfix found through an MX lookup: the domain's MX record is
 * served by a private dnsmasq (MTA_DNS_SERVERS), the MX host's address is a loopback address
 * where a private Postfix instance listens on port 25, and Postfix's own replies (not the
 * mailbox simulator's) are what Postwave qualifies.
 */
describe('delivering through an MX lookup to a real Postfix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'postwave-postfix-mx-'));
  let dns: LoopbackDns | undefined;
  let systemDns: LoopbackDns | undefined;
  let postfix: PrivatePostfix | undefined;
  let app: EmbeddedPostwave | undefined;

  beforeAll(async () => {
    const address = await loopbackWithFreePort25();
    mkdirSync(join(dir, 'dns'));
    dns = await LoopbackDns.start(join(dir, 'dns'), {
      localDomains: [DOMAIN],
      mx: [{ domain: DOMAIN, host: MX_HOST, preference: 10 }],
      a: [{ name: MX_HOST, address }],
    });
    // The app's system resolver knows the MX host's address but not the MX record, so the MX
    // lookup only succeeds through MTA_DNS_SERVERS.
    mkdirSync(join(dir, 'system-dns'));
    systemDns = await LoopbackDns.start(join(dir, 'system-dns'), {
      localDomains: [DOMAIN],
      a: [{ name: MX_HOST, address }],
    });
    postfix = await PrivatePostfix.start({
      address,
      domain: DOMAIN,
      hostname: MX_HOST,
      replies: REPLIES,
    });
    mkdirSync(join(dir, 'app'));
    app = await EmbeddedPostwave.start({
      dir: join(dir, 'app'),
      env: {
        SIMULATOR_ENABLED: 'false',
        MTA_DNS_SERVERS: dns.server,
        MTA_HELO_NAME: 'postwave.test',
        MTA_DKIM_GENERATE: 'true',
        MTA_RETRY_FIRST_MS: '300',
        MTA_RETRY_MAX_MS: '600',
        MTA_RETRY_JITTER: '0',
      },
      // The SMTP client looks the MX host's address up through the system resolver, not
      // MTA_DNS_SERVERS, so that resolver must know mx.postfix.test too.
      resolvConf: [systemDns.server],
    });
  }, 90_000);

  afterAll(async () => {
    const code = await app?.stop();
    const keep = Boolean(process.env['KEEP_E2E_LOGS']);
    await postfix?.stop({ removeFiles: !keep });
    await dns?.stop();
    await systemDns?.stop();
    // KEEP_E2E_LOGS=1 keeps the app's log and database, dnsmasq's and Postfix's logs.
    if (keep) process.stdout.write(`postfix-mx files kept in ${dir} and ${postfix?.dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(0);
  });

  const diagnostics = () =>
    `--- postwave ---\n${app?.tail(25)}\n--- maillog ---\n${postfix?.maillog()}\n--- dnsmasq ---\n${dns?.log()}\n--- system dnsmasq ---\n${systemDns?.log()}`;

  it('qualifies what Postfix answers: Sent when accepted, Hard for 550 and 554, Soft and retried for 452', async () => {
    const recipients = ['ok1', 'ok2', 'unknown', 'full', 'blocked'].map((local) => ({
      address: `${local}@${DOMAIN}`,
      attributes: {},
    }));
    const created = await http('POST', `${app!.url}/v1/deliveries`, {
      deliveryId: 'postfix-mx',
      approvalMode: 'Automatic',
      validityHours: 1,
      content: { sender: { address: 'news@shop.example', name: 'Shop' }, subject: 'Hello', text: 'Hello' },
      recipients,
    });
    expect(created.status).toBe(201);

    // Four recipients get a final answer; full@ is deferred and retried until the validity ends,
    // so it is settled enough once Postfix has refused it twice.
    const { summary, messages } = await waitFor(
      'four final statuses and a retried 452',
      async () => {
        const summary = await http<DeliverySummary>('GET', `${app!.url}/v1/deliveries/postfix-mx`);
        const messages = await http<MessageRow[]>('GET', `${app!.url}/v1/deliveries/postfix-mx/messages`);
        const final = messages.body?.filter?.((m) => ['Sent', 'Failed'].includes(m.status)) ?? [];
        const fullRefusals = postfix!.maillog().match(/reject: RCPT .* 452 4\.2\.2 <full@postfix\.test>/g);
        return final.length === 4 && (fullRefusals?.length ?? 0) >= 2
          ? { summary: summary.body, messages: messages.body }
          : undefined;
      },
      40_000,
      250,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${diagnostics()}`);
    });

    const byAddress = Object.fromEntries(messages.map((m) => [m.address, m]));
    expect(byAddress[`ok1@${DOMAIN}`]).toMatchObject({ status: 'Sent', failureType: null });
    expect(byAddress[`ok2@${DOMAIN}`]).toMatchObject({ status: 'Sent', failureType: null });
    expect(byAddress[`unknown@${DOMAIN}`]).toMatchObject({
      status: 'Failed',
      failureType: 'Hard',
      reason: 'UserUnknown',
    });
    expect(byAddress[`blocked@${DOMAIN}`]).toMatchObject({
      status: 'Failed',
      failureType: 'Hard',
      reason: 'Refused',
    });
    expect(byAddress[`full@${DOMAIN}`]).toMatchObject({
      status: 'TakenIntoAccount',
      failureType: 'Soft',
      reason: 'MailboxFull',
    });
    expect(summary.kpis).toMatchObject({ toDeliver: 5, success: 2, errors: 2, takenIntoAccount: 1 });
  });

  it('found Postfix through the MX record, and Postfix logged what it accepted and refused', () => {
    expect(dns!.log()).toMatch(/query\[MX\] postfix\.test from 127\.0\.0\.1/);
    expect(systemDns!.log()).not.toMatch(/query\[MX\]/);
    expect(dns!.log() + systemDns!.log()).toMatch(/query\[A\] mx\.postfix\.test from 127\.0\.0\.1/);

    const maillog = postfix!.maillog();
    for (const local of ['ok1', 'ok2']) {
      expect(maillog).toMatch(
        new RegExp(`postfix/discard\\[\\d+\\]: \\w+: to=<${local}@postfix\\.test>.* status=sent`),
      );
    }
    expect(maillog).toMatch(/helo=<postwave\.test>/);
    expect(maillog).toMatch(
      /reject: RCPT .*: 550 5\.1\.1 <unknown@postfix\.test>: Recipient address rejected: User unknown in local recipient table/,
    );
    expect(maillog).toMatch(
      /reject: RCPT .*: 554 5\.7\.1 <blocked@postfix\.test>: Recipient address rejected: Service unavailable/,
    );
    // The hard refusals are never retried.
    expect(maillog.match(/to=<unknown@postfix\.test>/g)).toHaveLength(1);
    expect(maillog.match(/to=<blocked@postfix\.test>/g)).toHaveLength(1);
  });
});
