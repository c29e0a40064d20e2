import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Get, Module, NotFoundException } from '@nestjs/common';
import { ContractViolation } from '@postwave/contracts';
import { appEnvSchema, ConfigError, env } from '@postwave/platform/config';
import { startTelemetry } from '@postwave/platform/observability';
import { z } from 'zod';
import { runService, type RunningService, type ServiceSpec } from './run-service';

@Controller('probe')
class ProbeController {
  @Get('violation')
  violation() {
    throw new ContractViolation('data.validityHours', 'soon', 'expected number');
  }

  @Get('missing')
  missing() {
    throw new NotFoundException({ error: 'deliveryId: no such delivery', field: 'deliveryId', value: 'x' });
  }

  @Get('crash')
  crash() {
    throw new Error('database password is hunter2');
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

const probeEnvSchema = appEnvSchema({
  HTTP_PORT: env.port(8099),
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
});

const probeService: ServiceSpec<typeof probeEnvSchema> = {
  name: 'runtime-probe',
  envSchema: probeEnvSchema,
  entities: [],
  modules: () => [ProbeModule],
};

async function get(url: string) {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('runService', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pw-runtime-'));
  });

  afterAll(async () => {
    // runService boots the process-wide telemetry; this returns that same handle.
    await startTelemetry({ serviceName: 'runtime-probe', traces: 'none' }).shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a bad environment with a ConfigError naming the variable and its value', async () => {
    const started = runService(probeService, { HTTP_PORT: 'eighty', SQLITE_PATH: join(dir, 'never.sqlite') });

    await expect(started).rejects.toBeInstanceOf(ConfigError);
    await expect(started).rejects.toThrow(/HTTP_PORT="eighty"/);
  });

  describe('a running service', () => {
    let service: RunningService<z.infer<typeof probeEnvSchema>>;

    beforeAll(async () => {
      service = await runService(probeService, {
        SQLITE_PATH: join(dir, 'probe.sqlite'),
        HTTP_PORT: '0',
        LOG_LEVEL: 'silent',
      });
    });

    afterAll(async () => {
      await service?.close();
    });

    it('listens on the port the system chose and answers health checks', async () => {
      expect(service.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(service.url).not.toMatch(/:0$/);
      expect(service.platform.eventLog.kind).toBe('embedded');
      expect(await get(`${service.url}/health`)).toEqual({ status: 200, body: { status: 'ok' } });
    });

    it('answers a contract violation with 400 naming the field and the value', async () => {
      expect(await get(`${service.url}/probe/violation`)).toEqual({
        status: 400,
        body: {
          error: 'data.validityHours: expected number (got "soon")',
          field: 'data.validityHours',
          value: 'soon',
        },
      });
    });

    it('passes an HTTP exception through with its own status and body', async () => {
      expect(await get(`${service.url}/probe/missing`)).toEqual({
        status: 404,
        body: { error: 'deliveryId: no such delivery', field: 'deliveryId', value: 'x' },
      });
    });

    it('answers an unexpected error with a bare 500 that leaks nothing', async () => {
      expect(await get(`${service.url}/probe/crash`)).toEqual({ status: 500, body: { error: 'internal error' } });
    });
  });
});
