import { startEmbedded, type EmbeddedUnderTest } from './embedded.test-support';
import { waitFor } from '@postwave/testing';

const COOL_OFF_MS = 1500;

/**
 * The MTA announces each next message behind the data of the one before it (RFC 2920 §3.1), so
 * the next message is admitted before the current one's answer. A "slow down" answered to the
 * data must still hold it: the path is suspended for its cool-off, and nothing more goes there
 * until then, not even the message already announced on the connection.
 */
describe('a slow-down answered to the message data', () => {
  let app: EmbeddedUnderTest;
  const refusedAt: number[] = [];

  beforeAll(async () => {
    app = await startEmbedded({
      prefix: 'busy',
      domain: 'busy.sim',
      simulator: {
        logger: (entry) => {
          if (entry['event'] === 'reply.refused' && entry['stage'] === 'DATA') refusedAt.push(Date.now());
        },
        personalities: [
          {
            name: 'busy',
            description: 'answers the data of reject-data recipients with a Microsoft-like 451 4.7.500',
            domains: ['busy.sim'],
            replies: {
              contentRejected: {
                code: 451,
                enhanced: '4.7.500',
                text: 'Server busy. Please try again later',
              },
            },
          },
        ],
      },
      rules: [
        {
          id: 'busy-site',
          mxHosts: ['*.busy.example'],
          domains: ['busy.sim'],
          maxConnections: 1,
          messagesPerConnection: 50,
          messagesPerHour: 360_000,
          adaptive: {
            coolOffMs: COOL_OFF_MS,
            maxCoolOffMs: COOL_OFF_MS,
            recoverAfter: 4,
            rateStep: 0.25,
            minMessagesPerHour: 3600,
          },
        },
      ],
      env: {
        // The refused message is not retried during the test: it would be refused again, first
        // in every chunk, and hold the path suspended for the others.
        MTA_RETRY_FIRST_MS: '600000',
        MTA_RETRY_MAX_MS: '600000',
        MTA_RETRY_JITTER: '0',
        MTA_BUILD_THREADS: '1',
      },
    });
  });

  afterAll(() => app?.close());

  it('sends nothing more on the path until the cool-off ends, not even the message announced', async () => {
    const others = Array.from({ length: 8 }, (_, i) => `reader${i}@busy.sim`);
    await app.deliver('busy', [others[0]!, 'reject-data+1@busy.sim', ...others.slice(1)]);

    await waitFor('every other message to be accepted', async () =>
      app.simulator.accepted.length >= others.length ? true : undefined,
    );

    const refused = refusedAt[0]!;
    expect(refused).toBeDefined();
    const after = app.simulator.accepted.filter((message) => message.receivedAt.getTime() > refused);
    // Messages followed the refused one in its session: they are what this is about.
    expect(after.length).toBeGreaterThan(0);
    const soonest = Math.min(...after.map((message) => message.receivedAt.getTime() - refused));
    // The suspension starts when the MTA reads the answer, a little after the simulator wrote it.
    expect(soonest).toBeGreaterThanOrEqual(COOL_OFF_MS - 200);
  });
});
