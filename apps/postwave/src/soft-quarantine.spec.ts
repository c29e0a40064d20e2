import { http, waitFor } from '@postwave/testing';
import { startEmbedded, type EmbeddedUnderTest } from './embedded.test-support';

/**
 * Soft errors feed the quarantine through a counter (Campaign §5.3): a full mailbox is retried,
 * and the address is quarantined once its errors reach the threshold; the next analysis then
 * excludes it as "Address in quarantine". Retries and the significant-error period are shortened.
 */
describe('quarantine fed by repeated soft errors', () => {
  let app: EmbeddedUnderTest;

  beforeAll(async () => {
    app = await startEmbedded({
      prefix: 'soft-quarantine',
      domain: 'soft.sim',
      env: {
        MTA_RETRY_FIRST_MS: '200',
        MTA_RETRY_FACTOR: '1',
        MTA_RETRY_JITTER: '0',
        BOUNCE_SOFT_MAX_ERRORS: '2',
        BOUNCE_SOFT_ERROR_PERIOD_HOURS: '0',
      },
    });
  });
  afterAll(() => app?.close());

  it('quarantines a mailbox that stays full, and the planner then excludes it', async () => {
    await app.deliver('keeps-failing', ['mailbox-full@soft.sim', 'fine@soft.sim']);
    const status = await waitFor(
      'the full mailbox to be quarantined',
      async () => {
        const answer = await http<{ blockedReason: string | null }>(
          'GET',
          `${app.service.url}/v1/addresses/mailbox-full@soft.sim`,
        );
        return answer.body.blockedReason ? answer.body : undefined;
      },
      20_000,
    );
    expect(status.blockedReason).toBe('Quarantined');
    const fine = await http<{ blockedReason: string | null }>(
      'GET',
      `${app.service.url}/v1/addresses/fine@soft.sim`,
    );
    expect(fine.body.blockedReason).toBeNull();

    const next = await http<{ delivery: { status: string } }>('POST', `${app.service.url}/v1/deliveries`, {
      deliveryId: 'after-quarantine',
      content: {
        sender: { address: 'news@shop.example' },
        subject: 'Hi',
        text: 'Hello {{ unsubscribeUrl }}',
      },
      recipients: [{ address: 'mailbox-full@soft.sim' }, { address: 'fine@soft.sim' }],
    });
    expect(next.status).toBe(201);
    const plan = await http<{ report: { exclusionsByReason: Record<string, number> } }>(
      'GET',
      `${app.service.url}/v1/deliveries/after-quarantine/plan`,
    );
    expect(plan.body.report.exclusionsByReason).toEqual({ Quarantined: 1 });
  });
});
