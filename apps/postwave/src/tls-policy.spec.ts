import { http, waitFor, type MessageRow } from '@postwave/testing';
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
