import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { freePort, http, waitFor } from './wait';

describe('waitFor', () => {
  it('returns the first value that is not undefined, without probing again', async () => {
    let calls = 0;

    const value = await waitFor(
      'the third probe',
      async () => {
        calls++;
        if (calls === 1) throw new Error('not yet');
        return calls === 3 ? { ready: calls } : undefined;
      },
      2000,
      1,
    );

    expect(value).toEqual({ ready: 3 });
    expect(calls).toBe(3);
  });

  it('accepts falsy values other than undefined as an answer', async () => {
    expect(await waitFor('a zero', async () => 0, 1000, 1)).toBe(0);
    expect(await waitFor('a null', async () => null, 1000, 1)).toBeNull();
  });

  it('fails after the timeout naming what it waited for and the last error the probe threw', async () => {
    let calls = 0;

    const failure = await waitFor(
      'the delivery to settle',
      async () => {
        calls++;
        throw new Error(`attempt ${calls} saw 3 pending messages`);
      },
      60,
      5,
    ).catch((error: Error) => error);

    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toBe(
      `timed out after 60 ms waiting for the delivery to settle: attempt ${calls} saw 3 pending messages`,
    );
    expect(calls).toBeGreaterThan(1);
  });

  it('fails naming what it waited for when the probe only ever answered undefined', async () => {
    await expect(waitFor('a message in the inbox', async () => undefined, 30, 5)).rejects.toThrow(
      'timed out after 30 ms waiting for a message in the inbox',
    );
  });
});

describe('freePort', () => {
  it('gives a loopback port that can be listened on', async () => {
    const port = await freePort();
    const server = createTcpServer();

    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));

    expect(port).toBeGreaterThan(0);
  });
});

describe('http', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        if (request.url === '/empty') {
          response.writeHead(204).end();
          return;
        }
        response.writeHead(201, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            method: request.method,
            contentType: request.headers['content-type'] ?? null,
            key: request.headers['idempotency-key'] ?? null,
            received: body ? JSON.parse(body) : null,
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends a JSON body with its headers and parses the JSON answer', async () => {
    expect(await http('POST', `${base}/x`, { deliveryId: 'd1' }, { 'idempotency-key': 'k-1' })).toEqual({
      status: 201,
      body: { method: 'POST', contentType: 'application/json', key: 'k-1', received: { deliveryId: 'd1' } },
    });
  });

  it('sends no content type without a body and answers null for an empty response', async () => {
    expect((await http('GET', `${base}/x`)).body).toMatchObject({ method: 'GET', contentType: null });
    expect(await http('GET', `${base}/empty`)).toEqual({ status: 204, body: null });
  });
});
