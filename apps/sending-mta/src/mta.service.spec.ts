import { ConfigError, loadConfig } from '@postwave/platform/config';
import { mtaOptionsFrom } from '@postwave/sending/feature';
import { mtaEnvSchema, mtaService } from './mta.service';

const secret = 'a-verp-secret-of-32-characters!!';

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(mtaEnvSchema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('sending-mta configuration', () => {
  it('listens on 8082 by default and resolves routes by MX when none are configured', () => {
    const config = loadConfig(mtaEnvSchema, { MTA_VERP_SECRET: secret });

    expect(config).toMatchObject({ HTTP_PORT: 8082, MTA_VERP_SECRET: secret, MTA_TLS: 'opportunistic' });
    expect(mtaOptionsFrom(config, 'mta-1').routes).toEqual({ routes: [], relay: null });
    expect(mtaService.name).toBe('sending-mta');
  });

  it('reports every bad variable at once, the cross-field route check included', () => {
    const message = refusal({ MTA_VERP_SECRET: 'short', MTA_ROUTES: 'bad', KAFKA_BROKERS: 'kafka:9092' });

    expect(message).toMatch(/MTA_VERP_SECRET="short"/);
    expect(message).toMatch(/MTA_ROUTES="bad"/);
    expect(message).toMatch(/DATABASE_URL=\(unset\)/);
  });

  it('still reports a bad route when another variable has the wrong type', () => {
    // An enum or number that fails to parse makes zod skip the superRefine checks (routes, mode).
    const message = refusal({ MTA_VERP_SECRET: secret, MTA_ROUTES: 'bad', MTA_TLS: 'sometimes' });

    expect(message).toMatch(/MTA_TLS="sometimes"/);
    expect(message).toMatch(/MTA_ROUTES="bad"/);
  });

  it('refuses to start without a VERP secret, naming the variable', () => {
    expect(refusal({})).toMatch(/MTA_VERP_SECRET=\(unset\)/);
  });

  it('refuses a VERP secret shorter than 16 characters, naming the variable, its value and the rule', () => {
    expect(refusal({ MTA_VERP_SECRET: 'short' })).toMatch(
      /MTA_VERP_SECRET="short": must be at least 16 characters/,
    );
  });

  it('refuses a static route that is not domain=host:port, naming MTA_ROUTES', () => {
    expect(refusal({ MTA_VERP_SECRET: secret, MTA_ROUTES: 'example.test' })).toMatch(
      /MTA_ROUTES="example.test": MTA_ROUTES: "example.test" is not domain=host:port/,
    );
  });

  it('refuses a relay without a port, naming MTA_RELAY', () => {
    expect(refusal({ MTA_VERP_SECRET: secret, MTA_RELAY: 'smtp.example.com' })).toMatch(
      /MTA_RELAY="smtp.example.com"/,
    );
  });

  it('refuses Kafka brokers without a PostgreSQL database, naming DATABASE_URL', () => {
    expect(refusal({ MTA_VERP_SECRET: secret, KAFKA_BROKERS: 'kafka:9092' })).toMatch(
      /DATABASE_URL=\(unset\)/,
    );
  });
});
