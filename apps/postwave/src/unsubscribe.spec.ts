import { InboundListener } from '@postwave/bounce/feature';
import { freePort, http, settledDelivery, waitFor } from '@postwave/testing';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { startEmbedded, type EmbeddedUnderTest } from './embedded.test-support';

/**
 * The List-Unsubscribe header Postwave puts on every message works both ways: RFC 8058 one-click
 * (https POST) and mailto. Either records an address event, and the next analysis excludes the
 * address as Unsubscribed.
 */
describe('unsubscribing from the links in the List-Unsubscribe header', () => {
  let app: EmbeddedUnderTest;
  let api: string;

  const headerOf = (to: string) => {
    const message = app.simulator.accepted.find((m) => m.recipients.includes(to));
    const unfolded = (message?.rawHeaders ?? '').replace(/\r?\n[ \t]+/g, ' ');
    const links = /^List-Unsubscribe:\s*(.+)$/im.exec(unfolded)?.[1] ?? '';
    return {
      https: /<(https?:[^>]+)>/.exec(links)?.[1] ?? '',
      mailto: /<mailto:([^>]+)>/.exec(links)?.[1] ?? '',
      oneClick: /^List-Unsubscribe-Post:\s*List-Unsubscribe=One-Click\s*$/im.test(unfolded),
    };
  };
  const blockedReason = async (address: string) =>
    (await http<{ blockedReason: string | null }>('GET', `${api}/v1/addresses/${address}`)).body
      .blockedReason;

  beforeAll(async () => {
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    app = await startEmbedded({
      prefix: 'unsubscribe',
      domain: 'unsub.sim',
      env: { HTTP_PORT: String(port), MTA_UNSUBSCRIBE_URL: `${api}/v1/unsubscribe` },
    });
    await app.deliver('newsletter-1', ['reader@unsub.sim', 'mailer@unsub.sim', 'stays@unsub.sim']);
    await settledDelivery(api, 'newsletter-1', 3);
  });

  afterAll(() => app?.close());

  it('offers one-click https and mailto links on every message', () => {
    const links = headerOf('reader@unsub.sim');
    expect(links.https).toMatch(new RegExp(`^${api}/v1/unsubscribe/m[0-9a-f]{24}\\.`));
    expect(links.mailto).toMatch(/^unsubscribe\+m[0-9a-f]{24}\./);
    expect(links.oneClick).toBe(true);
  });

  it('unsubscribes on the one-click POST, and only shows a confirmation page on GET', async () => {
    const { https } = headerOf('reader@unsub.sim');
    const page = await fetch(https);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post"');
    expect(await blockedReason('reader@unsub.sim')).toBeNull();

    const post = await fetch(https, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(post.status).toBe(200);
    await waitFor('the unsubscription to reach the planner', async () =>
      (await blockedReason('reader@unsub.sim')) === 'Unsubscribed' ? true : undefined,
    );
  });

  it('unsubscribes on a mail to the mailto address', async () => {
    const { mailto } = headerOf('mailer@unsub.sim');
    const port = app.service.app.get(InboundListener).port!;
    const client = new SMTPConnection({ host: '127.0.0.1', port, ignoreTLS: true });
    await new Promise<void>((resolve, reject) => {
      client.once('error', reject);
      client.connect(() => resolve());
    });
    await new Promise<void>((resolve, reject) =>
      client.send(
        { from: 'mailer@unsub.sim', to: [mailto] },
        'Subject: unsubscribe\r\n\r\nplease\r\n',
        (error) => (error ? reject(error) : resolve()),
      ),
    );
    client.quit();
    await waitFor('the unsubscription to reach the planner', async () =>
      (await blockedReason('mailer@unsub.sim')) === 'Unsubscribed' ? true : undefined,
    );
  });

  it('excludes unsubscribed addresses from the next delivery, and refuses forged links', async () => {
    const created = await http<{
      delivery: { report: { toDeliver: number; exclusionsByReason: Record<string, number> } };
    }>('POST', `${api}/v1/deliveries`, {
      deliveryId: 'newsletter-2',
      content: { sender: { address: 'news@shop.example' }, subject: 'Hi again', text: 'Hello' },
      recipients: ['reader@unsub.sim', 'mailer@unsub.sim', 'stays@unsub.sim'].map((address) => ({ address })),
    });
    expect(created.body.delivery.report).toMatchObject({
      toDeliver: 1,
      exclusionsByReason: { Unsubscribed: 2 },
    });
    const forged = headerOf('stays@unsub.sim').https.replace(/\.[^.]+$/, '.aaaaaaaaaaaa');
    expect((await fetch(forged, { method: 'POST' })).status).toBe(404);
  });
});
