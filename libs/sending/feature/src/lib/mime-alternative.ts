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

/** MailComposer's root fields, in the order it sets them after the custom headers. */
const ROOT_FIELDS = [
  ['from', 'from'],
  ['to', 'to'],
  ['reply-to', 'replyTo'],
  ['subject', 'subject'],
  ['message-id', 'messageId'],
  ['date', 'date'],
] as const;

/**
 * A multipart/alternative message of already encoded parts (each with its own headers): the
 * message MailComposer builds for `{ text: { raw }, html: { raw } }`, byte for byte, without its
 * stream machinery. nodemailer's MimeNode writes the header block (address and encoded-word
 * rules, folding, Date, MIME-Version, the boundary); the body is the parts between boundaries.
 * MailComposer spent 0.2–0.3 ms per message on streams for what is a concatenation here.
 */
export function composeAlternative(fields: AlternativeHeaders, parts: readonly Buffer[]): Buffer {
  const root = new MimeNode('multipart/alternative', {
    ...(fields.baseBoundary ? { baseBoundary: fields.baseBoundary } : {}),
  });
  root.addHeader({ ...fields.headers });
  for (const [header, key] of ROOT_FIELDS) {
    const value = fields[key];
    if (value) root.setHeader(header, value);
  }
  const head = root.buildHeaders();
  const boundary = `--${root.boundary as string}`;
  const pieces: Buffer[] = [Buffer.from(`${head}\r\n\r\n${boundary}\r\n`, 'utf8')];
  parts.forEach((part, i) => {
    if (i > 0) pieces.push(Buffer.from(`\r\n${boundary}\r\n`, 'latin1'));
    pieces.push(part);
  });
  pieces.push(Buffer.from(`\r\n${boundary}--\r\n`, 'latin1'));
  return Buffer.concat(pieces);
}
