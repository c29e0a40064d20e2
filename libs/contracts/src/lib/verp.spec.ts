import { parseVerpAddress, verpAddress } from './verp';

describe('VERP return path', () => {
  it('maps a bounce address back to its message', () => {
    const address = verpAddress('m_0123abcd', 's3cret', 'bounces.shop.example');
    expect(address).toMatch(/^b\+m_0123abcd\.[a-z0-9_-]{12}@bounces\.shop\.example$/);
    expect(parseVerpAddress(address, 's3cret')).toBe('m_0123abcd');
    expect(parseVerpAddress(`<${address.toUpperCase().replace('M_0123ABCD', 'm_0123abcd')}>`, 's3cret')).toBe(
      'm_0123abcd',
    );
  });

  it('refuses a forged tag or another secret', () => {
    const address = verpAddress('m_1', 's3cret', 'b.example');
    expect(parseVerpAddress(address, 'other')).toBeNull();
    expect(parseVerpAddress('b+m_1.aaaaaaaaaaaa@b.example', 's3cret')).toBeNull();
    expect(parseVerpAddress('postmaster@b.example', 's3cret')).toBeNull();
  });
});
