import { createHash, sign, type KeyObject } from 'node:crypto';
import { domainToASCII } from 'node:url';
import type { SigningKey } from './dkim-keyring';

/**
 * The header fields signed when present: mailauth's default list (RFC 6376 §5.4.1's recommended
 * fields plus the List-* and BIMI-Selector fields a bulk sender relies on).
 */
export const DKIM_SIGNED_HEADERS: readonly string[] = [
  'From',
  'Sender',
  'Reply-To',
  'Subject',
  'Date',
  'Message-ID',
  'To',
  'Cc',
  'MIME-Version',
  'Content-Type',
  'Content-Transfer-Encoding',
  'Content-ID',
  'Content-Description',
  'Resent-Date',
  'Resent-From',
  'Resent-Sender',
  'Resent-To',
  'Resent-Cc',
  'Resent-Message-ID',
  'In-Reply-To',
  'References',
  'List-Id',
  'List-Help',
  'List-Unsubscribe',
  'List-Unsubscribe-Post',
  'List-Subscribe',
  'List-Post',
  'List-Owner',
  'List-Archive',
  'Feedback-ID',
  'BIMI-Selector',
];

export interface DkimSignOptions {
  /** Header fields to sign when present (case-insensitive); DKIM_SIGNED_HEADERS by default. */
  readonly headerList?: readonly string[];
  /**
   * Fields listed in h= once more than they occur (RFC 6376 §8.15), so that another instance added
   * later breaks the signature; From by default.
   */
  readonly oversign?: readonly string[];
  /** The signing time (t=); now by default. */
  readonly now?: Date;
}

/** Every key of the message failed to sign; `causes` holds one error per key. */
export class DkimSignError extends Error {
  constructor(readonly causes: readonly Error[]) {
    super(`DKIM signing failed: ${causes.map((cause) => cause.message).join('; ')}`);
    this.name = 'DkimSignError';
  }
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;
const CRLF = Buffer.from('\r\n');
/** Longest line of the DKIM-Signature field we write, without its line break. */
const MAX_LINE = 76;

interface HeaderField {
  /** Lowercased name. */
  readonly key: string;
  /** Name as written. */
  readonly name: string;
  /** The whole field as latin1 text (bytes preserved), folding included, without its last line break. */
  readonly raw: string;
}

interface ParsedMessage {
  readonly fields: HeaderField[];
  readonly body: Buffer;
  /** The line break the message uses ("\r\n", or "\n" for bare-LF input). */
  readonly eol: string;
}

/**
 * Signs a message with every key (RFC 6376, relaxed/relaxed; rsa-sha256, or ed25519-sha256 per
 * RFC 8463) and returns it with one DKIM-Signature field per key prepended, in key order. The body
 * is canonicalized and hashed once for all keys; the signatures are computed on libuv's thread pool.
 * A key that fails to sign is left out; if every key fails, the promise rejects with DkimSignError.
 */
export async function signDkim(
  message: Buffer,
  keys: readonly SigningKey[],
  options: DkimSignOptions = {},
): Promise<Buffer> {
  if (keys.length === 0) return message;
  return Buffer.concat([await dkimSignatureFields(message, keys, options), message]);
}

/**
 * The DKIM-Signature fields `signDkim` puts before the message, alone: a caller that copies the
 * message anyway (into what goes after DATA) writes them in the same copy. Empty without keys.
 */
export async function dkimSignatureFields(
  message: Buffer,
  keys: readonly SigningKey[],
  options: DkimSignOptions = {},
): Promise<Buffer> {
  if (keys.length === 0) return Buffer.alloc(0);
  const { fields, body, eol } = parseMessage(message);
  const bodyHash = createHash('sha256').update(canonicalBody(body)).digest('base64');
  const wanted = new Set((options.headerList ?? DKIM_SIGNED_HEADERS).map((name) => name.toLowerCase()));
  // Bottom-up, as a verifier picks repeated fields (RFC 6376 §5.4.2): the n-th listed instance of
  // a name is its n-th instance counted from the bottom.
  const signed = fields.filter((field) => wanted.has(field.key)).reverse();
  const names = signed.map((field) => field.name);
  for (const name of options.oversign ?? ['From']) names.push(name);
  const canonicalHeaders = signed.map((field) => canonicalHeader(field.raw) + '\r\n').join('');
  const time = Math.floor((options.now ?? new Date()).getTime() / 1000);

  const results = await Promise.allSettled(
    keys.map(async (key) => {
      const head = signatureHead(key, time, names, bodyHash, eol);
      const input = Buffer.from(canonicalHeaders + canonicalHeader(`${head}${eol} b=`), 'latin1');
      const signature = await signInput(key, input);
      return `${head}${eol}${foldSignature(signature.toString('base64'), eol)}${eol}`;
    }),
  );
  const headers: string[] = [];
  const errors: Error[] = [];
  for (const result of results) {
    if (result.status === 'fulfilled') headers.push(result.value);
    else errors.push(result.reason instanceof Error ? result.reason : new Error(String(result.reason)));
  }
  if (headers.length === 0) throw new DkimSignError(errors);
  return Buffer.from(headers.join(''), 'latin1');
}

/** Relaxed header canonicalization (RFC 6376 §3.4.2) of one field, without its line break. */
export function canonicalHeader(raw: string): string {
  const colon = raw.indexOf(':');
  const name = raw
    .slice(0, colon)
    .replace(/[ \t]+/g, '')
    .toLowerCase();
  // Unfold (folding always precedes WSP, so every line break goes), then WSP runs become one SP.
  const value = raw
    .slice(colon + 1)
    .replace(/\r?\n/g, '')
    .replace(/[ \t]+/g, ' ');
  const start = value.charCodeAt(0) === SP ? 1 : 0;
  const end =
    value.length > start && value.charCodeAt(value.length - 1) === SP ? value.length - 1 : value.length;
  return `${name}:${value.slice(start, end)}`;
}

/**
 * Relaxed body canonicalization (RFC 6376 §3.4.4): line breaks become CRLF, trailing WSP of each
 * line goes, WSP runs become one SP, trailing empty lines go, and a non-empty body ends with one
 * CRLF; an empty body stays empty. Lines that need no change are passed through as slices of the
 * input (a clean 100 KB body costs a few memchr scans and no copy).
 */
export function canonicalBody(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  const n = body.length;
  // The original bytes [runStart, runEnd) are already canonical and end after a non-empty line.
  let runStart = 0;
  let runEnd = 0;
  // Empty lines seen since runEnd; `pendingClean` while they are exactly CRLFs right after runEnd.
  let pendingEmpty = 0;
  let pendingClean = true;
  // The next tab and double space, found with native scans and looked up again once passed.
  let nextTab = body.indexOf(HTAB);
  let nextDoubleSpace = body.indexOf('  ', 0, 'latin1');
  const flushRun = () => {
    if (runEnd > runStart) parts.push(body.subarray(runStart, runEnd));
    for (let i = 0; i < pendingEmpty; i++) parts.push(CRLF);
    pendingEmpty = 0;
    pendingClean = true;
  };

  let pos = 0;
  while (pos < n) {
    const lf = body.indexOf(LF, pos);
    const next = lf === -1 ? n : lf + 1;
    const terminated = lf !== -1 && lf > pos && body[lf - 1] === CR;
    const end = lf === -1 ? n : terminated ? lf - 1 : lf;
    if (nextTab !== -1 && nextTab < pos) nextTab = body.indexOf(HTAB, pos);
    if (nextDoubleSpace !== -1 && nextDoubleSpace < pos) nextDoubleSpace = body.indexOf('  ', pos, 'latin1');
    const clean =
      terminated &&
      (nextTab === -1 || nextTab >= end) &&
      (nextDoubleSpace === -1 || nextDoubleSpace + 1 >= end) &&
      (end === pos || body[end - 1] !== SP);

    if (clean && end === pos) {
      if (pendingClean && runEnd + 2 * pendingEmpty !== pos) pendingClean = false;
      pendingEmpty++;
    } else if (clean) {
      if (pendingEmpty > 0 && pendingClean) pendingEmpty = 0;
      else if (pendingEmpty > 0 || runEnd !== pos) {
        flushRun();
        runStart = pos;
      }
      runEnd = next;
    } else {
      const line = relaxedLine(body, pos, end);
      if (line.length === 0) {
        pendingEmpty++;
        pendingClean = false;
      } else {
        flushRun();
        parts.push(line, CRLF);
        runStart = next;
        runEnd = next;
      }
    }
    pos = next;
  }
  if (runEnd > runStart) parts.push(body.subarray(runStart, runEnd));
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** One line's content with WSP runs reduced to one SP and trailing WSP removed. */
function relaxedLine(body: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  let length = 0;
  let space = false;
  for (let i = start; i < end; i++) {
    const byte = body[i]!;
    if (byte === SP || byte === HTAB) {
      space = true;
      continue;
    }
    if (space) out[length++] = SP;
    space = false;
    out[length++] = byte;
  }
  return out.subarray(0, length);
}

/** Splits header fields from the body at the first empty line (CRLF or bare LF). */
function parseMessage(message: Buffer): ParsedMessage {
  let eol: string | null = null;
  let pos = 0;
  let headerEnd = message.length;
  let bodyStart = message.length;
  while (pos < message.length) {
    const lf = message.indexOf(LF, pos);
    if (lf === -1) break;
    const crlf = lf > pos && message[lf - 1] === CR;
    eol ??= crlf || lf === pos ? '\r\n' : '\n';
    if (lf === pos || (crlf && lf === pos + 1)) {
      headerEnd = pos;
      bodyStart = lf + 1;
      break;
    }
    pos = lf + 1;
  }
  const text = message.toString('latin1', 0, headerEnd);
  const fields: HeaderField[] = [];
  let current: string[] = [];
  const close = () => {
    if (current.length === 0) return;
    const raw = current.join('\r\n');
    current = [];
    const colon = raw.indexOf(':');
    if (colon <= 0) return; // not a field (an mbox "From " line, garbage): never signed
    let nameEnd = colon;
    while (nameEnd > 0 && (raw.charCodeAt(nameEnd - 1) === SP || raw.charCodeAt(nameEnd - 1) === HTAB))
      nameEnd--;
    const name = raw.slice(0, nameEnd);
    fields.push({ key: name.toLowerCase(), name, raw });
  };
  for (const piece of text.split('\n')) {
    const line = piece.endsWith('\r') ? piece.slice(0, -1) : piece;
    if (line.length === 0) continue;
    const first = line.charCodeAt(0);
    if ((first === SP || first === HTAB) && current.length > 0) current.push(line);
    else {
      close();
      current.push(line);
    }
  }
  close();
  return { fields, body: message.subarray(bodyStart), eol: eol ?? '\r\n' };
}

/** The DKIM-Signature field up to its b= tag, folded, without a trailing line break. */
function signatureHead(key: SigningKey, time: number, names: readonly string[], bh: string, eol: string) {
  const lines: string[] = [];
  let line = 'DKIM-Signature:';
  const put = (piece: string, separator: string) => {
    if (line.length + separator.length + piece.length > MAX_LINE) {
      lines.push(line);
      line = ` ${piece}`;
    } else line += separator + piece;
  };
  const domain = domainToASCII(key.domain) || key.domain;
  for (const tag of ['v=1', `a=${key.algorithm}`, 'c=relaxed/relaxed', `d=${domain}`, `s=${key.selector}`])
    put(`${tag};`, ' ');
  put(`t=${time};`, ' ');
  names.forEach((name, i) => {
    const piece = `${i === 0 ? 'h=' : ''}${name}${i === names.length - 1 ? ';' : ':'}`;
    put(piece, i === 0 ? ' ' : '');
  });
  put(`bh=${bh};`, ' ');
  lines.push(line);
  return lines.join(eol);
}

/** The b= tag on lines of its own: " b=" and 73 characters, then 75 characters a line. */
function foldSignature(signature: string, eol: string): string {
  const lines = [` b=${signature.slice(0, MAX_LINE - 3)}`];
  for (let i = MAX_LINE - 3; i < signature.length; i += MAX_LINE - 1)
    lines.push(` ${signature.slice(i, i + MAX_LINE - 1)}`);
  return lines.join(eol);
}

/** The RSA or Ed25519 signature of the header hash input, computed off the event loop. */
function signInput(key: SigningKey, input: Buffer): Promise<Buffer> {
  const keyObject: KeyObject = key.keyObject;
  const type = keyObject.asymmetricKeyType;
  const expected = key.algorithm === 'ed25519-sha256' ? 'ed25519' : 'rsa';
  if (type !== expected) {
    return Promise.reject(
      new Error(
        `${key.selector}._domainkey.${key.domain}: a ${type ?? 'non-asymmetric'} key cannot sign ${key.algorithm}`,
      ),
    );
  }
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, signature: Buffer) => (error ? reject(error) : resolve(signature));
    // RFC 8463 §3: ed25519-sha256 signs (PureEdDSA) the SHA-256 hash of the header hash input.
    if (expected === 'ed25519') sign(null, createHash('sha256').update(input).digest(), keyObject, done);
    else sign('sha256', input, keyObject, done);
  });
}
