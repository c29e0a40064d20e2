import { isSimulatorDomain, matchesDomainPattern, SIMULATOR_DEFAULT_DOMAINS } from './simulator-domains';

describe('simulator domains', () => {
  it('routes every .sim domain and the simulator test domain by default', () => {
    expect(SIMULATOR_DEFAULT_DOMAINS).toEqual(['*.sim', 'simulator.postwave.test']);
    expect(
      ['gmail.sim', 'Mail.Example.SIM', 'simulator.postwave.test'].every((d) => isSimulatorDomain(d)),
    ).toBe(true);
  });

  it('leaves real domains alone', () => {
    expect(['gmail.com', 'sim', 'postwave.test', 'notsim'].some((d) => isSimulatorDomain(d))).toBe(false);
  });

  it('matches a wildcard against subdomains only', () => {
    expect(matchesDomainPattern('a.gmail.sim', '*.gmail.sim')).toBe(true);
    expect(matchesDomainPattern('gmail.sim', '*.gmail.sim')).toBe(false);
    expect(matchesDomainPattern('anything.test', '*')).toBe(true);
  });
});
