import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import {
  Body,
  Controller,
  Get,
  Injectable,
  Module,
  NotFoundException,
  Post,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
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

  @Post('echo')
  echo(@Body() body: unknown) {
    return { received: body };
  }

  @Get('crash')
  crash() {
    throw new Error('database password is hunter2');
  }
}

/** Stands for a feature's background work (spool worker, SMTP listener): started at bootstrap. */
@Injectable()
class BackgroundWork implements OnApplicationBootstrap, OnApplicationShutdown {
  static readonly log: string[] = [];
  onApplicationBootstrap() {
    BackgroundWork.log.push('started');
  }
  onApplicationShutdown() {
    BackgroundWork.log.push('stopped');
  }
}

@Module({ controllers: [ProbeController], providers: [BackgroundWork] })
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

  it('stops the work it started when the HTTP port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    BackgroundWork.log.length = 0;
    try {
      const started = runService(probeService, {
        SQLITE_PATH: join(dir, 'taken.sqlite'),
        HTTP_PORT: String(port),
        LOG_LEVEL: 'silent',
      });

      await expect(started).rejects.toThrow(/EADDRINUSE/);
      expect(BackgroundWork.log).toEqual(['started', 'stopped']);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  describe('a running service', () => {
    let service: RunningService<z.infer<typeof probeEnvSchema>>;

    beforeAll(async () => {
      BackgroundWork.log.length = 0;
      service = await runService(probeService, {
        SQLITE_PATH: join(dir, 'probe.sqlite'),
        HTTP_PORT: '0',
        LOG_LEVEL: 'silent',
      });
    });

    afterAll(async () => {
      await service?.close();
    });

    it('runs the bootstrap work of its modules once', () => {
      expect(BackgroundWork.log).toEqual(['started']);
    });

    it('stops that work when it is closed', async () => {
      const other = await runService(probeService, {
        SQLITE_PATH: join(dir, 'other.sqlite'),
        HTTP_PORT: '0',
        LOG_LEVEL: 'silent',
      });
      await other.close();

      expect(BackgroundWork.log).toEqual(['started', 'started', 'stopped']);
      await expect(fetch(`${other.url}/health`)).rejects.toThrow();
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

    it('answers a malformed JSON body with a 400 JSON error', async () => {
      const response = await fetch(`${service.url}/probe/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"deliveryId":',
      });

      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      expect(await response.json()).toHaveProperty('error');
    });

    it('passes an HTTP exception through with its own status and body', async () => {
      expect(await get(`${service.url}/probe/missing`)).toEqual({
        status: 404,
        body: { error: 'deliveryId: no such delivery', field: 'deliveryId', value: 'x' },
      });
    });

    it('answers an unexpected error with a bare 500 that leaks nothing', async () => {
      expect(await get(`${service.url}/probe/crash`)).toEqual({
        status: 500,
        body: { error: 'internal error' },
      });
    });
  });
});
