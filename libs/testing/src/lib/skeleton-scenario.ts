import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import { DkimKeyring } from '@postwave/sending/feature';
import { http, waitFor } from './wait';

/**
 * The walking-skeleton delivery: ten inline recipients, one of them invalid, one a duplicate and
 * one refused at RCPT by the receiving server with 550 5.1.1.
 */
export function skeletonDelivery(deliveryId: string, domain = 'skeleton.sim') {
  const people = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret'];
  return {
    deliveryId,
    label: 'Walking skeleton',
    content: {
      sender: { address: 'news@shop.example', name: 'Shop' },
      subject: 'Hello {{ firstName }}',
      html: '<p>Dear {{ firstName }},</p><p>Your code is <b>{{ code }}</b>.</p>',
      text: 'Dear {{ firstName }}, your code is {{ code }}.',
    },
    recipients: [
      ...people.map((firstName, i) => ({
        address: `${firstName.toLowerCase()}@${domain}`,
        attributes: { firstName, code: `C${i}` },
      })),
      { address: `bounce-hard@${domain}`, attributes: { firstName: 'Nobody', code: 'X' } },
      { address: 'not-an-address', attributes: { firstName: 'Invalid', code: 'X' } },
      { address: ` ADA@${domain.toUpperCase()} `, attributes: { firstName: 'Ada', code: 'C0' } },
    ],
  };
}

export interface MessageRow {
  messageId: string;
  address: string;
  status: string;
  statusLabel: string;
  failureType: string | null;
  reason: string | null;
  reasonCode: number | null;
  lastReply?: string | null;
}

export interface DeliverySummary {
  state: string;
  kpis: {
    toDeliver: number;
    processed: number;
    success: number;
    successRate: number;
    errors: number;
    ignored: number;
    pending: number;
    takenIntoAccount: number;
    canceled: number;
  };
}

/** Waits until every message of the delivery has a final status, then returns summary and log. */
export async function settledDelivery(
  api: string,
  deliveryId: string,
  expectedMessages = 10,
  timeoutMs = 60_000,
) {
  return waitFor(
    `delivery ${deliveryId} to settle`,
    async () => {
      const summary = await http<DeliverySummary>('GET', `${api}/v1/deliveries/${deliveryId}`);
      if (summary.status !== 200) return undefined;
      const { kpis } = summary.body;
      if (kpis.toDeliver + kpis.ignored < expectedMessages || kpis.pending + kpis.takenIntoAccount > 0)
        return undefined;
      const messages = await http<MessageRow[]>('GET', `${api}/v1/deliveries/${deliveryId}/messages`);
      return { summary: summary.body, messages: messages.body };
    },
    timeoutMs,
  );
}

/** Every `.eml` in the inbox verifies against the keys in the MTA's DKIM folder (rsa-sha256). */
export async function verifyInboxSignatures(inboxDir: string, keysDir: string) {
  const keys = new DkimKeyring(keysDir, 'unused', false, { warn: () => undefined } as never);
  const resolver = async (name: string) => {
    const [selector, , ...domain] = name.split('.');
    const key = keys.keysFor(domain.join('.')).find((k) => k.selector === selector);
    if (!key) throw Object.assign(new Error(`no TXT for ${name}`), { code: 'ENOTFOUND' });
    return [[DkimKeyring.dnsRecord(key)]];
  };
  const results = [];
  for (const file of readdirSync(inboxDir).filter((f) => f.endsWith('.eml'))) {
    const raw = readFileSync(join(inboxDir, file));
    const verified = await dkimVerify(raw, { resolver });
    results.push({
      file,
      raw: raw.toString('utf8'),
      dkim: verified.results.map((r) => ({
        status: r.status.result,
        algorithm: (r as { algo?: string }).algo,
      })),
    });
  }
  return results;
}
