import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, waitFor, type MessageRow } from '@postwave/testing';
import { testAuthority, type KeyAndCertificate } from '@postwave/fixtures/tls';
import { SMTPServer } from 'smtp-server';
import { startEmbedded, type EmbeddedUnderTest } from './embedded.test-support';

/**
 * A site's MX rule decides its STARTTLS policy, whatever the MTA-wide default: the mailbox
 * simulator offers no STARTTLS, so a rule that requires TLS never sends there in clear; the
 * attempt is a Soft "Unreachable" (a TLS failure) retried later, not a bounce.
 */
describe('per-site STARTTLS policy', () => {
  let app: EmbeddedUnderTest;

  beforeAll(async () => {
    app = await startEmbedded({
      prefix: 'tls-policy',
      domain: 'tls.sim',
      env: { MTA_TLS: 'opportunistic' },
      rules: [
        {
          id: 'tls-required',
          mxHosts: ['*.tls-required.example'],
          domains: ['tls.sim'],
          maxConnections: 1,
          messagesPerConnection: 10,
          messagesPerHour: 36_000,
          tls: 'required',
        },
      ],
    });
  });
  afterAll(() => app?.close());

  it('refuses to send in clear to a site whose rule requires TLS, and keeps the message for a retry', async () => {
    await app.deliver('tls-needed', ['reader@tls.sim']);
    const [message] = await waitFor('the attempt to be qualified', async () => {
      const rows = (await http<MessageRow[]>('GET', `${app.service.url}/v1/deliveries/tls-needed/messages`))
        .body;
      return rows[0]?.reason ? rows : undefined;
    });
    expect(message).toMatchObject({
      status: 'TakenIntoAccount',
      failureType: 'Soft',
      reason: 'Unreachable',
    });
    expect(message?.lastReply).toMatch(/STARTTLS|TLS/i);
    expect(app.simulator.accepted).toEqual([]);
  });
});

describe('per-site STARTTLS policy against a stricter MTA-wide default', () => {
  let app: EmbeddedUnderTest;

  beforeAll(async () => {
    app = await startEmbedded({
      prefix: 'tls-relaxed',
      domain: 'clear.sim',
      env: { MTA_TLS: 'required' },
      rules: [
        {
          id: 'clear-allowed',
          mxHosts: ['*.clear-allowed.example'],
          domains: ['clear.sim'],
          maxConnections: 1,
          messagesPerConnection: 10,
          messagesPerHour: 36_000,
          tls: 'opportunistic',
        },
      ],
    });
  });
  afterAll(() => app?.close());

  it('delivers in clear where the rule allows it, although the MTA requires TLS elsewhere', async () => {
    await app.deliver('clear-ok', ['reader@clear.sim']);
    await waitFor('the message to arrive', async () =>
      app.simulator.accepted.length === 1 ? true : undefined,
    );
    expect(app.simulator.accepted[0]?.recipients).toEqual(['reader@clear.sim']);
  });
});

/** An MX on a loopback port offering STARTTLS with `tls`; records whether each message came encrypted. */
async function tlsReceiver(tls: KeyAndCertificate) {
  const received: Array<{ secure: boolean; recipients: string[] }> = [];
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    authOptional: true,
    closeTimeout: 200,
    disabledCommands: ['AUTH'],
    key: tls.key,
    cert: tls.cert,
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        received.push({ secure: session.secure, recipients: session.envelope.rcptTo.map((r) => r.address) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as { port: number }).port,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * MTA_TLS=verify with a private authority (MTA_TLS_CA_FILE): the MX whose certificate chains to it
 * and names the address dialled gets the message over TLS; the one with a self-signed certificate
 * gets nothing, and the message waits for a retry with the certificate problem as its reply.
 */
describe('verified STARTTLS to private MXs', () => {
  let app: EmbeddedUnderTest;
  let trusted: Awaited<ReturnType<typeof tlsReceiver>>;
  let untrusted: Awaited<ReturnType<typeof tlsReceiver>>;
  let dir: string;

  beforeAll(async () => {
    const authority = testAuthority();
    trusted = await tlsReceiver(authority.issue(['IP:127.0.0.1']));
    untrusted = await tlsReceiver(testAuthority('Unknown CA').issue(['IP:127.0.0.1']));
    dir = mkdtempSync(join(tmpdir(), 'pw-tls-verify-'));
    writeFileSync(join(dir, 'ca.pem'), authority.cert);
    app = await startEmbedded({
      prefix: 'tls-verify',
      domain: 'trusted.example',
      env: {
        MTA_TLS: 'verify',
        MTA_TLS_CA_FILE: join(dir, 'ca.pem'),
        MTA_ROUTES: `trusted.example=127.0.0.1:${trusted.port};untrusted.example=127.0.0.1:${untrusted.port}`,
      },
    });
  });
  afterAll(async () => {
    await app?.close();
    await trusted?.close();
    await untrusted?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends over verified TLS, and holds back the message whose MX certificate does not verify', async () => {
    await app.deliver('tls-verify', ['reader@trusted.example', 'reader@untrusted.example']);
    const messages = await waitFor('both attempts to be recorded', async () => {
      const rows = (await http<MessageRow[]>('GET', `${app.service.url}/v1/deliveries/tls-verify/messages`))
        .body;
      const done = rows.filter((row) => row.status === 'Sent' || row.reason);
      return done.length === 2 ? rows : undefined;
    });
    const byAddress = Object.fromEntries(messages.map((row) => [row.address, row]));

    expect(byAddress['reader@trusted.example']).toMatchObject({ status: 'Sent' });
    expect(trusted.received).toEqual([{ secure: true, recipients: ['reader@trusted.example'] }]);
    expect(byAddress['reader@untrusted.example']).toMatchObject({
      status: 'TakenIntoAccount',
      failureType: 'Soft',
      reason: 'Unreachable',
    });
    expect(byAddress['reader@untrusted.example']?.lastReply).toMatch(/certificate|issuer/i);
    expect(untrusted.received).toEqual([]);
  });
});
