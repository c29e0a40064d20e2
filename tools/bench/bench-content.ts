import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeliveryContent } from '@postwave/contracts';
import { DkimKeyring, MessageBuilder } from '@postwave/sending/feature';

export const BENCH_DOMAIN = 'bench.example';
/** The domain the bench's messages come from, whose DKIM keys sign them. */
export const BENCH_SENDER_DOMAIN = 'shop.example';

/**
 * About 1 KB of ordinary newsletter markup: one product row of a table, with links and inline
 * styles, personalized once. Repeated by a Liquid loop so a request body stays small (the API takes
 * at most 100 KB of JSON) while the rendered message reaches the target size.
 */
const BLOCK =
  '<tr><td style="padding:12px 16px;border-bottom:1px solid #e5e5e5;font-family:Arial,Helvetica,sans-serif;' +
  'font-size:14px;line-height:20px;color:#333333"><a href="https://shop.example/p/{{ forloop.index }}?utm_source=' +
  'newsletter&amp;utm_medium=email&amp;utm_campaign=weekly" style="color:#0b5cad;text-decoration:none;' +
  'font-weight:bold">Item {{ forloop.index }}: picked for {{ firstName }}</a><br>A short description of the ' +
  'product with enough words to look like the copy a marketing team writes every week, including a price ' +
  'line, a promise about delivery times and a reminder that the offer ends soon. Free returns within thirty ' +
  'days, as always.<br><span style="color:#888888;font-size:12px">Ref. {{ code }}-{{ forloop.index }}</span>' +
  '</td></tr>\n';

export function benchContent(blocks: number): DeliveryContent {
  return {
    sender: { address: `news@${BENCH_SENDER_DOMAIN}`, name: 'Shop Weekly' },
    subject: 'Your weekly picks, {{ firstName }}',
    html:
      '<!doctype html><html><head><meta charset="utf-8"><title>Weekly picks</title></head><body ' +
      'style="margin:0;padding:0;background:#f4f4f4"><table role="presentation" width="100%" cellpadding="0" ' +
      'cellspacing="0" style="max-width:640px;margin:0 auto;background:#ffffff"><tr><td style="padding:24px 16px;' +
      'font-family:Arial,Helvetica,sans-serif;font-size:20px">Hello {{ firstName }},</td></tr>\n' +
      `{% for i in (1..${blocks}) %}${BLOCK}{% endfor %}` +
      '<tr><td style="padding:16px;font-size:11px;color:#999999">You receive this because you subscribed at ' +
      'shop.example. Your customer code is {{ code }}.</td></tr></table></body></html>',
    text: "Hello {{ firstName }}, this week's picks are online: https://shop.example/weekly?c={{ code }}",
  };
}

export function benchRecipient(index: number) {
  return {
    address: `r${index}@${BENCH_DOMAIN}`,
    attributes: { firstName: `Reader${index}`, code: `C${index}` },
  };
}

/**
 * Finds the loop count whose signed message (MIME, quoted-printable html, DKIM rsa-sha256) is
 * closest to `targetBytes`, with the product's own builder; returns the content and its real size.
 */
export async function calibratedContent(
  targetBytes: number,
): Promise<{ content: DeliveryContent; blocks: number; bytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'postwave-bench-cal-'));
  try {
    const builder = new MessageBuilder(
      { instance: 'bench', verpDomain: null, verpSecret: 'calibration-secret-0123', unsubscribeUrl: null },
      new DkimKeyring(join(dir, 'dkim'), 'pw1', true, { warn: () => undefined } as never),
    );
    // The builder caches compiled templates per delivery id: one id per trial.
    const size = async (blocks: number) => {
      const built = await builder.build(benchContent(blocks), {
        messageId: `bench-cal-${blocks}-000000`,
        deliveryId: `bench-cal-${blocks}`,
        address: benchRecipient(2500).address,
        attributes: benchRecipient(2500).attributes,
      });
      if (!built.ok) throw new Error(`calibration message did not build: ${built.error}`);
      return built.message.raw.length;
    };
    const base = await size(0);
    const perBlock = (await size(10)) - base;
    if (perBlock <= 0) throw new Error('calibration: the loop block adds nothing to the message');
    const blocks = Math.max(0, Math.round((targetBytes - base) / (perBlock / 10)));
    return { content: benchContent(blocks), blocks, bytes: await size(blocks) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
