import { CompiledContent, withReserved, type Attributes, type RenderedContent } from '@postwave/content';
import { unsubscribeToken, verpAddress, type DeliveryContent } from '@postwave/contracts';
import {
  encodeQuotedPrintableBytes,
  encodeQuotedPrintablePieces,
  QuotedPrintablePieces,
} from '@postwave/sending/domain';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { SigningKey } from './dkim-keyring';
import { dkimSignatureFields } from './dkim-signer';
import { composeAlternative } from './mime-alternative';
import { smtpData, type SmtpData } from './smtp-data';

export interface OutgoingMessage {
  readonly messageId: string;
  readonly deliveryId: string;
  readonly address: string;
  readonly attributes: Attributes;
  /** Proofs: "Proof #n " before the subject. */
  readonly subjectPrefix?: string | null;
}

export interface BuiltMessage {
  /** Envelope sender: the VERP return path carrying the message id. */
  readonly mailFrom: string;
  readonly raw: Buffer;
}

export type BuildResult = { ok: true; message: BuiltMessage } | { ok: false; error: string };

/** A built message made ready for DATA (`smtpData`): what a session writes. */
export interface PreparedMessage {
  readonly mailFrom: string;
  readonly smtp: SmtpData;
}

export type PreparedResult = { ok: true; message: PreparedMessage } | { ok: false; error: string };

/** A message as assembled: its DKIM-Signature fields (empty when unsigned), then the rest. */
type Assembled =
  | {
      ok: true;
      mailFrom: string;
      signatures: Buffer;
      unsigned: Buffer;
      /** Every line break is CRLF, by construction (composeAlternative of quoted-printable parts). */
      crlfOnly: boolean;
    }
  | { ok: false; error: string };

/** The sender's domain, lower case: its DKIM keys, the Feedback-ID and the Message-ID go by it. */
export const senderDomainOf = (content: DeliveryContent): string =>
  content.sender.address.split('@')[1]!.toLowerCase();

/** Where the builder finds a sender domain's DKIM keys: the keyring, or the keys a build thread was given. */
export interface SigningKeys {
  keysFor(domain: string): readonly SigningKey[];
}

export interface BuilderSettings {
  readonly instance: string;
  readonly verpDomain: string | null;
  readonly verpSecret: string;
  readonly unsubscribeUrl: string | null;
}

/**
 * Builds the MIME message for one recipient (personalization is applied here, from the delivery's
 * templates, so events never carry bodies), adds the headers a bulk sender needs in 2026 and signs
 * it with every DKIM key of the sender domain.
 */
export class MessageBuilder {
  private readonly compiled = new Map<
    string,
    { stamp: string; compiled: CompiledContent; encoded: QuotedPrintablePieces }
  >();
  /** The content each parsed object stands for, serialized once per object. */
  private readonly stamps = new WeakMap<DeliveryContent, string>();

  constructor(
    private readonly settings: BuilderSettings,
    private readonly keyring: SigningKeys,
  ) {}

  async build(content: DeliveryContent, message: OutgoingMessage): Promise<BuildResult> {
    const assembled = await this.assemble(content, message);
    if (!assembled.ok) return assembled;
    const { mailFrom, signatures, unsigned } = assembled;
    const raw = signatures.length > 0 ? Buffer.concat([signatures, unsigned]) : unsigned;
    return { ok: true, message: { mailFrom, raw } };
  }

  /**
   * The message as `build` makes it, ready for DATA (`smtpData`): the signatures and the message
   * are copied once, into what the session writes, instead of once more when they are joined.
   */
  async prepare(content: DeliveryContent, message: OutgoingMessage): Promise<PreparedResult> {
    const assembled = await this.assemble(content, message);
    if (!assembled.ok) return assembled;
    const smtp = smtpData([assembled.signatures, assembled.unsigned], { crlfOnly: assembled.crlfOnly });
    return { ok: true, message: { mailFrom: assembled.mailFrom, smtp } };
  }

  private async assemble(content: DeliveryContent, message: OutgoingMessage): Promise<Assembled> {
    const compiled = this.compile(message.deliveryId, content);
    if (!compiled.ok) return compiled;
    const senderDomain = senderDomainOf(content);
    const returnDomain = this.settings.verpDomain ?? senderDomain;
    const mailFrom = verpAddress(message.messageId, this.settings.verpSecret, returnDomain);
    const unsubscribeMailto = `mailto:${verpAddress(message.messageId, this.settings.verpSecret, returnDomain, 'unsubscribe')}`;
    const unsubscribeHttps = this.settings.unsubscribeUrl
      ? `${this.settings.unsubscribeUrl.replace(/\/$/, '')}/${unsubscribeToken(message.messageId, this.settings.verpSecret)}`
      : null;
    // Templates may place the recipient's own unsubscribe link and message id in the body.
    const rendered = compiled.compiled.render(
      withReserved(message.attributes, {
        unsubscribeUrl: unsubscribeHttps ?? unsubscribeMailto,
        messageId: message.messageId,
      }),
    );
    if (!rendered.ok)
      return { ok: false, error: `personalization failed in ${rendered.part}: ${rendered.error}` };
    const headers: Record<string, string> = {
      'X-Postwave-Message-Id': message.messageId,
      'Feedback-ID': `${message.deliveryId}:postwave:${senderDomain}`,
      'List-Unsubscribe': [unsubscribeMailto, unsubscribeHttps]
        .filter(Boolean)
        .map((u) => `<${u}>`)
        .join(', '),
    };
    if (unsubscribeHttps) headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';

    const from = content.sender.name
      ? { name: content.sender.name, address: content.sender.address }
      : content.sender.address;
    const subject = `${message.subjectPrefix ?? ''}${rendered.content.subject}`;
    const messageId = `<${message.messageId}.${this.settings.instance}@${senderDomain}>`;
    const fields = {
      from,
      to: message.address,
      ...(content.replyTo ? { replyTo: content.replyTo } : {}),
      subject,
      messageId,
      headers,
    };
    let unsigned: Buffer;
    // composeAlternative writes CRLF only: folded fields, boundaries and quoted-printable parts
    // (line breaks in field values become spaces; in bodies, CRLF hard breaks or escapes).
    const crlfOnly = rendered.content.html !== undefined && !content.attachments?.length;
    if (crlfOnly) {
      // The common shape, text and html alternatives: assembled directly, as MailComposer would.
      unsigned = composeAlternative(fields, [
        textPart(rendered.content.text),
        htmlPart(rendered.content, compiled.encoded),
      ]);
    } else {
      const composer = new MailComposer({
        ...fields,
        // With an html part the bodies are encoded here (quoted-printable over bytes) and MailComposer
        // assembles the alternative; a lone text part is the message's root, so it keeps its headers.
        ...(rendered.content.html !== undefined
          ? {
              text: { raw: textPart(rendered.content.text) },
              html: { raw: htmlPart(rendered.content, compiled.encoded) },
            }
          : { text: rendered.content.text }),
        envelope: { from: mailFrom, to: message.address },
        ...(content.attachments?.length
          ? {
              attachments: content.attachments.map((a) => ({
                filename: a.filename,
                contentType: a.contentType,
                content: a.contentBase64,
                encoding: 'base64',
              })),
            }
          : {}),
      });
      unsigned = await composer.compile().build();
    }
    // Only signing itself fails the message; a keyring that cannot be read fails the attempt.
    const keys = this.keyring.keysFor(senderDomain);
    try {
      const signatures = await dkimSignatureFields(unsigned, keys);
      return { ok: true, mailFrom, signatures, unsigned, crlfOnly };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  }

  private compile(
    deliveryId: string,
    content: DeliveryContent,
  ): { ok: true; compiled: CompiledContent; encoded: QuotedPrintablePieces } | { ok: false; error: string } {
    let stamp = this.stamps.get(content);
    if (stamp === undefined) {
      stamp = JSON.stringify(content);
      this.stamps.set(content, stamp);
    }
    const cached = this.compiled.get(deliveryId);
    if (cached?.stamp === stamp) return { ok: true, compiled: cached.compiled, encoded: cached.encoded };
    const compiled = CompiledContent.compile(content);
    if (!compiled.ok) return { ok: false, error: `template error in ${compiled.part}: ${compiled.error}` };
    if (this.compiled.size > 1000) this.compiled.clear();
    const encoded = new QuotedPrintablePieces();
    this.compiled.set(deliveryId, { stamp, compiled: compiled.compiled, encoded });
    return { ok: true, compiled: compiled.compiled, encoded };
  }
}

/** A body part's header lines, its body encoded quoted-printable (7-bit). */
const partHead = (contentType: string) =>
  `Content-Type: ${contentType}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n`;
const TEXT_HEAD = partHead('text/plain');
const HTML_HEAD = partHead('text/html');

/** The text part with its headers, encoded quoted-printable (7-bit). */
const textPart = (body: string) => encodeQuotedPrintableBytes(body, TEXT_HEAD);

/**
 * The html part: from the renderer's pieces when it gave them, so the template's own text is
 * encoded once per delivery (`encoded`) and only the recipient's values per message.
 */
function htmlPart(rendered: RenderedContent, encoded: QuotedPrintablePieces): Buffer {
  const { htmlPieces } = rendered;
  return htmlPieces
    ? encodeQuotedPrintablePieces(htmlPieces.pieces, htmlPieces.fixed, encoded, HTML_HEAD)
    : encodeQuotedPrintableBytes(rendered.html ?? '', HTML_HEAD);
}
