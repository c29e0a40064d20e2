import { randomBytes } from 'node:crypto';
import { buildHeaderValue, foldLines } from 'nodemailer/lib/mime-funcs';
import MimeNode from 'nodemailer/lib/mime-node';

export interface AlternativeHeaders {
  readonly from: string | { readonly name: string; readonly address: string };
  readonly to: string;
  readonly replyTo?: string;
  readonly subject: string;
  /** With its angle brackets. */
  readonly messageId: string;
  /** Header fields of the bulk sender (List-Unsubscribe, Feedback-ID, …), written first. */
  readonly headers: Readonly<Record<string, string>>;
  /** Fixed date and boundary seed, for comparisons with MailComposer; now and random otherwise. */
  readonly date?: Date;
  readonly baseBoundary?: string;
}

/**
 * nodemailer's field formatting, used without building a node per message: `encodeHeaderValue`
 * (addresses punycoded and encoded, message ids bracketed, dates formatted, other text as encoded
 * words) and the field names as MimeNode writes them.
 */
const encoder = new MimeNode(false);
const names = new Map<string, string>();
const nameOf = (key: string) => {
  let name = names.get(key);
  if (name === undefined) {
    name = (encoder as unknown as { _normalizeHeaderKey(key: string): string })._normalizeHeaderKey(key);
    names.set(key, name);
  }
  return name;
};

/**
 * A multipart/alternative message of already encoded parts (each with its own headers): the
 * message MailComposer builds for `{ text: { raw }, html: { raw } }`, byte for byte, without its
 * stream machinery or a MimeNode tree per message. The fields are formatted by nodemailer's own
 * encoder and folded at 76 columns in MailComposer's order (custom fields, From, To, Reply-To,
 * Subject, Message-ID, Date, MIME-Version, Content-Type); the body is the parts between
 * boundaries. A spec holds the output to MailComposer's for ASCII and non-ASCII fields alike.
 */
export function composeAlternative(fields: AlternativeHeaders, parts: readonly Buffer[]): Buffer {
  const lines: string[] = [];
  const put = (key: string, value: Parameters<MimeNode['encodeHeaderValue']>[1]) => {
    const encoded = encoder.encodeHeaderValue(key, value);
    if (encoded.trim()) lines.push(foldLines(`${nameOf(key)}: ${encoded}`, 76));
  };
  for (const [key, value] of Object.entries(fields.headers)) put(key, value);
  put('From', fields.from);
  put('To', fields.to);
  if (fields.replyTo) put('Reply-To', fields.replyTo);
  put('Subject', fields.subject);
  put('Message-ID', fields.messageId);
  put('Date', fields.date ?? new Date());
  lines.push('MIME-Version: 1.0');
  const boundary = `--_NmP-${fields.baseBoundary ?? randomBytes(8).toString('hex')}-Part_1`;
  lines.push(
    foldLines(
      `Content-Type: ${buildHeaderValue({ value: 'multipart/alternative', params: { boundary } })}`,
      76,
    ),
  );
  const pieces: Buffer[] = [Buffer.from(`${lines.join('\r\n')}\r\n\r\n--${boundary}\r\n`, 'utf8')];
  parts.forEach((part, i) => {
    if (i > 0) pieces.push(Buffer.from(`\r\n--${boundary}\r\n`, 'latin1'));
    pieces.push(part);
  });
  pieces.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'));
  return Buffer.concat(pieces);
}
