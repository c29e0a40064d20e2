import { qualifyConnectionFailure, type ConnectionFailureKind } from './qualify-connection-failure';

describe('qualifyConnectionFailure', () => {
  it.each<[ConnectionFailureKind, string, string]>([
    ['dns-nxdomain', 'Hard', 'InvalidDomain'],
    ['null-mx', 'Hard', 'InvalidDomain'],
    ['dns-no-mx', 'Soft', 'InvalidDomain'],
    ['dns-temp', 'Soft', 'Unreachable'],
    ['refused', 'Soft', 'Unreachable'],
    ['timeout', 'Soft', 'Unreachable'],
    ['tls', 'Soft', 'Unreachable'],
    ['reset', 'Soft', 'Unreachable'],
    ['unknown', 'Soft', 'Unreachable'],
  ])('qualifies a %s failure as %s %s', (kind, type, reason) => {
    expect(qualifyConnectionFailure({ kind, detail: 'ECONNREFUSED 198.51.100.9:25' })).toMatchObject({
      type,
      reason,
      rule: `connection.${kind}`,
    });
  });

  it('carries the Campaign reason code', () => {
    expect(qualifyConnectionFailure({ kind: 'dns-nxdomain' }).reasonCode).toBe(2);
    expect(qualifyConnectionFailure({ kind: 'timeout' }).reasonCode).toBe(3);
  });

  it('treats a kind it does not know (from untyped callers) as unknown', () => {
    const failure = { kind: 'carrier-pigeon' } as unknown as { kind: ConnectionFailureKind };
    expect(qualifyConnectionFailure(failure)).toMatchObject({ type: 'Soft', rule: 'connection.unknown' });
  });
});
