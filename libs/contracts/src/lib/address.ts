import { domainToASCII } from 'node:url';

/**
 * Address normalization is part of the contract: the normalized form is the key of the address
 * stream, so every producer must compute it the same way. Local parts keep their case (RFC 5321
 * says they may be case-sensitive); domains are lower-cased and IDNs converted to punycode.
 */
export type AddressCheck =
  | { readonly ok: true; readonly address: string; readonly domain: string }
  | { readonly ok: false; readonly problem: 'empty' | 'syntax' };

// Dot-atom local part (RFC 5322 §3.4.1, without quoted strings or comments) plus UTF-8 for SMTPUTF8.
const LOCAL_PART = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;
const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

export function normalizeAddress(raw: string | null | undefined): AddressCheck {
  const trimmed = (raw ?? '').trim();
  if (trimmed === '') return { ok: false, problem: 'empty' };
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) return { ok: false, problem: 'syntax' };
  const local = trimmed.slice(0, at);
  const given = trimmed.slice(at + 1).toLowerCase();
  // domainToASCII costs more than the rest of the check: only IDNs need it.
  const domain = /^[\x00-\x7f]*$/.test(given) && !given.includes('xn--') ? given : domainToASCII(given);
  if (local.length > 64 || !LOCAL_PART.test(local)) return { ok: false, problem: 'syntax' };
  const labels = domain.split('.');
  if (
    domain === '' ||
    domain.length > 253 ||
    labels.length < 2 ||
    !labels.every((l) => DOMAIN_LABEL.test(l))
  ) {
    return { ok: false, problem: 'syntax' };
  }
  return { ok: true, address: `${local}@${domain}`, domain };
}
