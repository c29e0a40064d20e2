import { z } from 'zod';
import { ConfigError, env, loadConfig } from './load-config';
import { platformEnvSchema, platformMode } from './platform-config';

describe('loadConfig', () => {
  const schema = z.object({ HTTP_PORT: env.port(8080), FLAG: env.bool(false) });

  it('applies defaults and coerces types', () => {
    expect(loadConfig(schema, {})).toEqual({ HTTP_PORT: 8080, FLAG: false });
    expect(loadConfig(schema, { HTTP_PORT: '9000', FLAG: 'yes' })).toEqual({ HTTP_PORT: 9000, FLAG: true });
  });

  it('names every bad variable and the value it had', () => {
    let error: unknown;
    try {
      loadConfig(schema, { HTTP_PORT: 'eighty', FLAG: 'maybe' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('HTTP_PORT="eighty"');
    expect(message).toContain('FLAG="maybe"');
  });
});

describe('platform mode', () => {
  it('is embedded when neither Kafka nor PostgreSQL is configured', () => {
    expect(platformMode(loadConfig(platformEnvSchema, {}))).toEqual({
      kind: 'embedded',
      sqlitePath: './data/postwave.sqlite',
    });
  });

  it('is distributed when both are configured', () => {
    const mode = platformMode(
      loadConfig(platformEnvSchema, { KAFKA_BROKERS: 'a:9092, b:9092', DATABASE_URL: 'postgres://x/y' }),
    );
    expect(mode).toMatchObject({ kind: 'distributed', brokers: ['a:9092', 'b:9092'] });
  });

  it('refuses Kafka without PostgreSQL, naming the missing variable', () => {
    expect(() => loadConfig(platformEnvSchema, { KAFKA_BROKERS: 'a:9092' })).toThrow(
      /DATABASE_URL=\(unset\)/,
    );
  });

  it('refuses a DATABASE_URL that is not a postgres URL', () => {
    expect(() => loadConfig(platformEnvSchema, { DATABASE_URL: 'mysql://x', KAFKA_BROKERS: 'a:1' })).toThrow(
      /DATABASE_URL="mysql:\/\/x": must be a postgres/,
    );
  });
});
