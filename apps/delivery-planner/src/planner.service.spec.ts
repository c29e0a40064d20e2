import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@postwave/platform/config';
import { plannerEnvSchema, plannerService } from './planner.service';

const repoRoot = join(__dirname, '..', '..', '..');

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(plannerEnvSchema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('delivery-planner configuration', () => {
  it('listens on 8081 on every interface in the embedded mode by default', () => {
    expect(loadConfig(plannerEnvSchema, {})).toMatchObject({
      HTTP_PORT: 8081,
      HTTP_HOST: '0.0.0.0',
      KAFKA_BROKERS: [],
      SQLITE_PATH: './data/postwave.sqlite',
    });
    expect(plannerService.name).toBe('delivery-planner');
  });

  it('takes the port from HTTP_PORT', () => {
    expect(loadConfig(plannerEnvSchema, { HTTP_PORT: '9181' }).HTTP_PORT).toBe(9181);
  });

  it('refuses a port that is not a number, naming the variable and its value', () => {
    expect(configError({ HTTP_PORT: 'eighty' }).problems).toEqual([
      expect.objectContaining({ variable: 'HTTP_PORT', value: 'eighty' }),
    ]);
  });

  it('refuses Kafka brokers without a PostgreSQL database, naming DATABASE_URL', () => {
    expect(configError({ KAFKA_BROKERS: 'kafka:9092' }).message).toMatch(/DATABASE_URL=\(unset\)/);
  });
});

describe('the delivery-planner entrypoint', () => {
  it('exits non-zero with a message naming HTTP_PORT when the port is not a number', async () => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/delivery-planner/src/main.ts'], {
      cwd: repoRoot,
      env: {
        PATH: process.env['PATH'] ?? '',
        SWC_NODE_PROJECT: join(repoRoot, 'tsconfig.base.json'),
        HTTP_PORT: 'eighty',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.stdout.resume();

    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the entrypoint did not exit in time; stderr so far: ${stderr}`));
      }, 20_000);
      child.once('error', reject);
      child.once('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });

    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(stderr).toContain('delivery-planner: invalid configuration');
    expect(stderr).toContain('HTTP_PORT="eighty"');
  }, 25_000);
});
