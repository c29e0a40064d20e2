import { ConfigError, loadConfig } from '@postwave/platform/config';
import { bounceEnvSchema, bounceService } from './bounce.service';

const secret = 'a-verp-secret-of-32-characters!!';

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(bounceEnvSchema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('bounce-qualifier configuration', () => {
  it('listens on 8083 over HTTP and on 2526 for bounces by default', () => {
    expect(loadConfig(bounceEnvSchema, { MTA_VERP_SECRET: secret })).toMatchObject({
      HTTP_PORT: 8083,
      BOUNCE_SMTP_PORT: 2526,
    });
    expect(bounceService.name).toBe('bounce-qualifier');
  });

  it('turns the bounce listener off with BOUNCE_SMTP_PORT=off', () => {
    expect(
      loadConfig(bounceEnvSchema, { MTA_VERP_SECRET: secret, BOUNCE_SMTP_PORT: 'off' }).BOUNCE_SMTP_PORT,
    ).toBe('off');
  });

  it('refuses a bounce port that is neither a number nor off, naming the variable and its value', () => {
    expect(refusal({ MTA_VERP_SECRET: secret, BOUNCE_SMTP_PORT: 'x' })).toMatch(/BOUNCE_SMTP_PORT="x"/);
  });

  it('refuses a VERP secret shorter than 16 characters, naming the variable', () => {
    expect(refusal({ MTA_VERP_SECRET: 'short' })).toMatch(
      /MTA_VERP_SECRET="short": must be at least 16 characters/,
    );
  });

  it('refuses Kafka brokers without a PostgreSQL database, naming DATABASE_URL', () => {
    expect(refusal({ MTA_VERP_SECRET: secret, KAFKA_BROKERS: 'kafka:9092' })).toMatch(
      /DATABASE_URL=\(unset\)/,
    );
  });
});
