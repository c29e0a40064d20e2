/**
 * RFC 3464 `message/delivery-status` parsing: a per-message block, then one block per recipient,
 * blocks separated by blank lines, header-style fields with folded continuation lines.
 */
export interface RecipientStatus {
  readonly finalRecipient: string | null;
  readonly originalRecipient: string | null;
  readonly action: string | null;
  readonly status: string | null;
  readonly diagnosticCode: string | null;
}

export interface DeliveryStatusReport {
  readonly reportingMta: string | null;
  readonly recipients: readonly RecipientStatus[];
}

function parseFields(block: string): Map<string, string> {
  const fields = new Map<string, string>();
  let last: string | null = null;
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last) {
      fields.set(last, `${fields.get(last)} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    fields.set(last, line.slice(colon + 1).trim());
  }
  return fields;
}

/** `rfc822; ada@example.com` → `ada@example.com`. */
const withoutType = (value: string | undefined) =>
  value ? value.replace(/^[a-z0-9-]+\s*;\s*/i, '').trim() : null;

export function parseDeliveryStatus(text: string): DeliveryStatusReport {
  const blocks = text
    .split(/\r?\n[ \t]*\r?\n/)
    .map((block) => block.trim())
    .filter(Boolean);
  const [first, ...rest] = blocks.map(parseFields);
  const perMessage = first && !first.has('final-recipient') ? first : undefined;
  const recipientBlocks = perMessage ? rest : blocks.map(parseFields);
  return {
    reportingMta: withoutType(perMessage?.get('reporting-mta')),
    recipients: recipientBlocks
      .filter((fields) => fields.has('final-recipient') || fields.has('status') || fields.has('action'))
      .map((fields) => ({
        finalRecipient: withoutType(fields.get('final-recipient')),
        originalRecipient: withoutType(fields.get('original-recipient')),
        action: fields.get('action')?.toLowerCase() ?? null,
        status: fields.get('status')?.match(/\d\.\d{1,3}\.\d{1,3}/)?.[0] ?? null,
        diagnosticCode: withoutType(fields.get('diagnostic-code')),
      })),
  };
}
