/**
 * Finds the body of the first MIME part of a given content type in a raw message. Report parts
 * (`message/delivery-status`, `message/feedback-report`) are small header-style text that mail
 * parsers tend to fold into the body, so they are read from the source here.
 */
export function extractMimePart(raw: string, contentType: string): string | null {
  const header = new RegExp(
    `^content-type:[ \\t]*${contentType.replace('/', '\\/')}\\b[^\\n]*(\\r?\\n[ \\t][^\\n]*)*`,
    'im',
  );
  const match = header.exec(raw);
  if (!match) return null;
  const afterHeader = raw.slice(match.index + match[0].length);
  const bodyStart = /\r?\n\r?\n/.exec(afterHeader);
  if (!bodyStart) return null;
  const body = afterHeader.slice(bodyStart.index + bodyStart[0].length);
  const boundary = /^--[^\r\n]+$/m.exec(body);
  return (boundary ? body.slice(0, boundary.index) : body).trim();
}
