import { ConfigError, loadConfig } from '@postwave/platform/config';
import { projectorEnvSchema, projectorService } from './projector.service';

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(projectorEnvSchema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('feedback-projector configuration', () => {
  it('listens on 8084 by default', () => {
    expect(loadConfig(projectorEnvSchema, {})).toMatchObject({ HTTP_PORT: 8084, HTTP_HOST: '0.0.0.0' });
    expect(projectorService.name).toBe('feedback-projector');
  });

  it('refuses a port out of range, naming the variable and its value', () => {
    expect(refusal({ HTTP_PORT: '70000' })).toMatch(/HTTP_PORT="70000"/);
  });

  it('refuses Kafka brokers without a PostgreSQL database, naming DATABASE_URL', () => {
    expect(refusal({ KAFKA_BROKERS: 'kafka:9092' })).toMatch(/DATABASE_URL=\(unset\)/);
  });

  it('refuses a PostgreSQL database without Kafka brokers, naming KAFKA_BROKERS', () => {
    expect(refusal({ DATABASE_URL: 'postgres://pw@db/postwave' })).toMatch(/KAFKA_BROKERS=\(unset\)/);
  });
});
