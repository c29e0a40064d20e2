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

type FieldValue = Parameters<MimeNode['encodeHeaderValue']>[1];

/** Printable ASCII without a quote: text nodemailer writes as it is, unless it holds "=?". */
const VERBATIM_TEXT = /^[\x20\x21\x23-\x7e]*$/;
/**
 * A dot-atom at a lowercase ASCII domain (no A-label, a letter TLD): nodemailer's address
 * normalization (dot-atom kept, domainToASCII) gives it back unchanged.
 */
const VERBATIM_ADDRESS =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?!xn--)[a-z0-9-]+(?:\.(?!xn--)[a-z0-9-]+)*\.[a-z]{2,63}$/;
const VERBATIM_MESSAGE_ID = /^<[\x21-\x3d\x3f-\x7e]+>$/;
const ADDRESS_FIELDS = new Set(['From', 'Sender', 'To', 'Cc', 'Bcc', 'Reply-To']);
/** Fields nodemailer gives a meaning of their own (ids, dates, parameters); the rest are text. */
const STRUCTURED_FIELDS = new Set([
  ...ADDRESS_FIELDS,
  'Message-ID',
  'In-Reply-To',
  'Content-ID',
  'OTP-Token',
  'References',
  'Date',
  'Content-Type',
  'Content-Disposition',
]);
/** Encoded values of object form that repeat from message to message (a delivery's named sender). */
const repeated = new Map<string, string>();
const REPEATED_MAX = 1000;

/**
 * `encoder.encodeHeaderValue`, with the values it would write unchanged recognized first: most
 * fields of a bulk message are plain ASCII, and nodemailer's parsing of every address and word was
 * a fifth of a build thread's time. A spec holds both to the same output on awkward values.
 */
export function encodeField(key: string, value: FieldValue): string {
  const name = nameOf(key);
  if (typeof value === 'string') {
    if (ADDRESS_FIELDS.has(name)) {
      if (VERBATIM_ADDRESS.test(value)) return value;
    } else if (name === 'Message-ID') {
      if (VERBATIM_MESSAGE_ID.test(value)) return value;
    } else if (!STRUCTURED_FIELDS.has(name) && VERBATIM_TEXT.test(value) && !value.includes('=?'))
      return value;
  } else if (value instanceof Date && name === 'Date') return value.toUTCString().replace(/GMT/, '+0000');
  const memo =
    typeof value === 'object' && !(value instanceof Date) ? `${name}\n${JSON.stringify(value)}` : null;
  const known = memo === null ? undefined : repeated.get(memo);
  if (known !== undefined) return known;
  const encoded = encoder.encodeHeaderValue(key, value);
  if (memo !== null) {
    if (repeated.size >= REPEATED_MAX) repeated.clear();
    repeated.set(memo, encoded);
  }
  return encoded;
}

/** Boundaries come from a pool of random bytes refilled 4 KB at a time, not a call per message. */
let randomPool = Buffer.alloc(0);
let randomAt = 0;
function randomHex(bytes: number): string {
  if (randomAt + bytes > randomPool.length) {
    randomPool = randomBytes(4096);
    randomAt = 0;
  }
  randomAt += bytes;
  return randomPool.toString('hex', randomAt - bytes, randomAt);
}

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
  const put = (key: string, value: FieldValue) => {
    const encoded = encodeField(key, value);
    if (!encoded.trim()) return;
    const line = `${nameOf(key)}: ${encoded}`;
    // foldLines returns a line shorter than its limit as it is.
    lines.push(line.length < 76 ? line : foldLines(line, 76));
  };
  for (const [key, value] of Object.entries(fields.headers)) put(key, value);
  put('From', fields.from);
  put('To', fields.to);
  if (fields.replyTo) put('Reply-To', fields.replyTo);
  put('Subject', fields.subject);
  put('Message-ID', fields.messageId);
  put('Date', fields.date ?? new Date());
  lines.push('MIME-Version: 1.0');
  const boundary = `--_NmP-${fields.baseBoundary ?? randomHex(8)}-Part_1`;
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
