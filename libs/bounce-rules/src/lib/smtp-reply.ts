/**
 * A parsed SMTP reply. `text` is the human message with the leading reply code and enhanced status
 * code of every line removed and the lines joined with single spaces; `raw` is the input untouched.
 */
export interface SmtpReply {
  code: number | null;
  enhanced: string | null;
  text: string;
  raw: string;
}

// "550", "550-", "550 5.1.1", "550-5.1.1" at the start of a line. The enhanced code must be followed
// by a space or the end so that "550 5.1.1.3" style garbage is not mistaken for a status code.
const LINE_PREFIX = /^([2-5]\d\d)(?:[ -]+|$)(?:([245]\.\d{1,3}\.\d{1,3})(?=\s|$))?\s*/;

// An enhanced code anywhere in the text, as qmail ("(#5.1.1)"), Yahoo ("- 5.7.1 [BL23]") or nested
// callout replies write it. Neighbouring dots and digits are excluded so that IP addresses such as
// "[5.2.2.10]" or Yahoo's "4.16.55.1" trace ids are never read as status codes.
const EMBEDDED_ENHANCED = /(?<![\w.])#?([245]\.\d{1,3}\.\d{1,3})(?!\.?\d)(?!\w)/;

// DSN text often wraps the reply: "smtp; 550 ...", "host mx.example[1.2.3.4] said: 550 ...",
// "Remote Server returned '550 5.1.1 ...'". A code followed by an enhanced code is a strong enough
// signal to find the reply inside such wrappers without being fooled by random numbers.
const DIAGNOSTIC_TYPE = String.raw`(?:smtp|x-postfix|x-local|x-unix)\s*;\s*`;
const DIAGNOSTIC_PREFIX = new RegExp(String.raw`^(?:diagnostic-code:\s*)?${DIAGNOSTIC_TYPE}`, 'i');
const SAID_PREFIX = /\bsaid:\s*(?=[2-5]\d\d[\s-])/i;
// An RFC 3464 field block pasted whole ("Action: failed / Status: 5.0.0 / Diagnostic-Code: smtp; 550
// ..."): the reply is in the Diagnostic-Code field, and the Status field is the enhanced code when
// the reply has none.
const DIAGNOSTIC_FIELD = new RegExp(String.raw`\bdiagnostic-code:\s*(?:${DIAGNOSTIC_TYPE})?`, 'i');
const STATUS_FIELD = /\bstatus:\s*([245]\.\d{1,3}\.\d{1,3})(?!\.?\d)/i;
const WRAPPED_REPLY = /(?:^|[\s'"(#:;])(?=[2-5]\d\d[ -][245]\.\d{1,3}\.\d{1,3}(?:\s|$))/;
// Without an enhanced code, only trust a final-reply code right after a colon or quote, as in Exim's
// "SMTP error from remote mail server after RCPT TO:<x>: 550 No such user" or Gmail's "The response was: 550 ...".
const WRAPPED_BASIC_REPLY = /[:'"]\s*(?=[245][0-5]\d[ -][^\d.])/;

const LINE_BREAK = /\r\n|\r|\n/;
// The escaped line breaks a log or a one-reply-per-line file writes instead of real ones
// ("550-5.1.1 ...\\r\\n550 5.1.1 ..."): no SMTP reply carries a literal backslash-n of its own.
// They are made real before anything else reads the input, so every pattern sees one kind of break.
const ESCAPED_LINE_BREAK = /\\r\\n|\\n|\\r/g;

function realLineBreaks(input: string): string {
  return input.replace(ESCAPED_LINE_BREAK, '\n');
}

/** The whole input on one line (what a rule with `scope: 'whole'` reads): line breaks, real or escaped, and runs of blanks as one space. */
export function wholeText(raw: string): string {
  return realLineBreaks(raw).replace(/\s+/g, ' ').trim();
}

function continuationPrefix(code: number, enhanced: string | null): RegExp {
  const status = enhanced ? `(?:${enhanced.replace(/\./g, '\\.')}(?=\\s|$))?` : '';
  return new RegExp(`(?:^|\\s)${code}[ -]${status}`, 'g');
}

function unwrap(input: string): string {
  let s = input.trim().replace(DIAGNOSTIC_PREFIX, '');
  if (LINE_PREFIX.test(s)) return s;
  const said = SAID_PREFIX.exec(s);
  if (said) return s.slice(said.index + said[0].length);
  const field = DIAGNOSTIC_FIELD.exec(s);
  if (field) {
    s = s.slice(field.index + field[0].length);
    if (LINE_PREFIX.test(s)) return s;
  }
  const wrapped = WRAPPED_REPLY.exec(s) ?? WRAPPED_BASIC_REPLY.exec(s);
  if (wrapped) s = s.slice(wrapped.index + wrapped[0].length);
  return s;
}

/**
 * Parses one SMTP reply (single or multi-line) or a DSN diagnostic. Never throws: garbage yields
 * `code: null, enhanced: null` and the trimmed text, so callers can still qualify by wording.
 */
export function parseSmtpReply(input: string): SmtpReply {
  const raw = typeof input === 'string' ? input : '';
  let code: number | null = null;
  let enhanced: string | null = null;
  const parts: string[] = [];
  const lines = realLineBreaks(raw);

  for (const rawLine of unwrap(lines).split(LINE_BREAK)) {
    let line = rawLine.trim();
    // Two passes strip nested prefixes such as Exim callouts: "550 550 5.1.1 User unknown".
    for (let pass = 0; pass < 2; pass++) {
      const m = LINE_PREFIX.exec(line);
      if (!m || (pass > 0 && Number(m[1]) !== code)) break;
      code ??= Number(m[1]);
      enhanced ??= m[2] ?? null;
      line = line.slice(m[0].length);
    }
    if (line) parts.push(line);
  }

  let text = parts.join(' ');
  // A multi-line reply flattened onto one line ("... Please try 550-5.1.1 double-checking ...")
  // keeps its continuation prefixes inside the text; they would split the wording the rules read.
  if (code !== null) text = text.replace(continuationPrefix(code, enhanced), ' ');
  text = text.replace(/\s+/g, ' ').trim();
  enhanced ??= EMBEDDED_ENHANCED.exec(text)?.[1] ?? STATUS_FIELD.exec(lines)?.[1] ?? null;
  return { code, enhanced, text, raw };
}

// Codeless NDR prose (Gmail "Technical details of permanent failure", Exchange "failed permanently").
const PERMANENT_WORDING = /\bpermanent(ly)? (fail|error)|failed permanently|fatal error/i;

/**
 * Reply class used by the qualifier: the basic code decides (it drives SMTP), else the enhanced code,
 * else explicit "permanent failure" prose. Unknown stays null and is treated as transient.
 */
export function replyClass(reply: SmtpReply): number | null {
  if (reply.code !== null) return Math.floor(reply.code / 100);
  if (reply.enhanced !== null) return Number(reply.enhanced[0]);
  return PERMANENT_WORDING.test(reply.text) ? 5 : null;
}

/**
 * Whether the remote side says "do not retry". Deliberately separate from the qualification: the
 * sending MTA retries on 4xx and gives up on 5xx whatever the failure type says, as RFC 5321 requires.
 * Without a basic code (DSN text) it falls back to the enhanced code, then to "permanent failure" prose.
 */
export function isPermanent(reply: string | SmtpReply): boolean {
  const parsed = typeof reply === 'string' ? parseSmtpReply(reply) : reply;
  return replyClass(parsed) === 5;
}
