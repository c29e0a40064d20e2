import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import { ContractViolation } from '@postwave/contracts';
import type { Logger } from '@postwave/platform/observability';
import type { Response } from 'express';

/** Every error leaves as JSON; contract violations name the field and the value (400). */
@Catch()
export class HttpErrorsFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (error instanceof ContractViolation) {
      response.status(400).json({ error: error.message, field: error.field, value: error.value });
      return;
    }
    if (error instanceof HttpException) {
      const body = error.getResponse();
      response.status(error.getStatus()).json(typeof body === 'string' ? { error: body } : body);
      return;
    }
    // body-parser's own errors (too large, bad JSON, bad charset) carry their 4xx status.
    const status = (error as { status?: unknown; type?: unknown } | null)?.status;
    if (
      typeof status === 'number' &&
      status >= 400 &&
      status < 500 &&
      typeof (error as { type?: unknown }).type === 'string'
    ) {
      response.status(status).json({ error: (error as Error).message });
      return;
    }
    this.logger.error({ err: error }, 'unhandled error in HTTP handler');
    response.status(500).json({ error: 'internal error' });
  }
}
