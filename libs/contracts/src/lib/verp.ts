import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * VERP return paths: `<prefix>+<messageId>.<tag>@<domain>`, where `tag` is a truncated HMAC of
 * the message id. The MTA writes it; the bounce qualifier reads it back and refuses any bounce
 * whose tag does not verify (forged or mangled bounces never touch a message's status).
 */
const TAG_LENGTH = 12;

const tagOf = (messageId: string, secret: string) =>
  createHmac('sha256', secret).update(messageId).digest('base64url').slice(0, TAG_LENGTH).toLowerCase();

export function verpAddress(messageId: string, secret: string, domain: string, prefix = 'b'): string {
  return `${prefix}+${messageId}.${tagOf(messageId, secret)}@${domain}`;
}

export function parseVerpAddress(address: string, secret: string): string | null {
  const local = address.trim().replace(/^<|>$/g, '').split('@')[0] ?? '';
  const plus = local.indexOf('+');
  const dot = local.lastIndexOf('.');
  if (plus < 0 || dot <= plus) return null;
  const messageId = local.slice(plus + 1, dot);
  const tag = Buffer.from(local.slice(dot + 1).toLowerCase());
  const expected = Buffer.from(tagOf(messageId, secret));
  return tag.length === expected.length && timingSafeEqual(tag, expected) ? messageId : null;
}

/** The token of a one-click unsubscribe link: the message id and its HMAC tag. */
export function unsubscribeToken(messageId: string, secret: string): string {
  return `${messageId}.${tagOf(messageId, secret)}`;
}

export function parseUnsubscribeToken(token: string, secret: string): string | null {
  const dot = token.lastIndexOf('.');
  if (dot <= 0) return null;
  const messageId = token.slice(0, dot);
  const tag = Buffer.from(token.slice(dot + 1).toLowerCase());
  const expected = Buffer.from(tagOf(messageId, secret));
  return tag.length === expected.length && timingSafeEqual(tag, expected) ? messageId : null;
}

/** The part before `+` of a VERP local part: `b` for bounces, `unsubscribe` for List-Unsubscribe mail. */
export function verpPrefix(address: string): string {
  return (address.trim().replace(/^<|>$/g, '').split('@')[0] ?? '').split('+')[0]!.toLowerCase();
}
