import { normalizeAddress } from './address';

describe('address normalization', () => {
  it.each([
    ['  Ada.Lovelace@Example.COM ', 'Ada.Lovelace@example.com'],
    ['jörg@bücher.example', 'jörg@xn--bcher-kva.example'],
    ['a+tag@sub.domain.example', 'a+tag@sub.domain.example'],
  ])('normalizes %j to %j', (raw, expected) => {
    expect(normalizeAddress(raw)).toMatchObject({ ok: true, address: expected });
  });

  it.each([
    'plainaddress',
    '@no-local.example',
    'no-domain@',
    'two@@at.example',
    'dot.@x.example',
    'a@-bad-.example',
    'a@nodot',
  ])('rejects %j as invalid syntax', (raw) => {
    expect(normalizeAddress(raw)).toEqual({ ok: false, problem: 'syntax' });
  });

  it('reports a missing address as empty', () => {
    expect(normalizeAddress('   ')).toEqual({ ok: false, problem: 'empty' });
    expect(normalizeAddress(null)).toEqual({ ok: false, problem: 'empty' });
  });
});
