import { randomUUID } from 'node:crypto';
import { ContractViolation, parseAnyEnvelope, parseCommand, parseEventEnvelope } from './validation';
import { upcast } from './upcasters';

const envelope = (type: string, data: unknown) => ({
  specversion: '1.0',
  id: randomUUID(),
  source: '/test',
  type,
  time: '2026-01-01T00:00:00.000Z',
  subject: 'm1',
  datacontenttype: 'application/json',
  correlationid: 'c1',
  causationid: 'c1',
  data,
});

describe('contract validation at the boundary', () => {
  it('accepts a current event and returns it typed', () => {
    const event = parseEventEnvelope(
      envelope('postwave.message.sent.v1', {
        messageId: 'm1',
        deliveryId: 'd1',
        attempt: 1,
        reply: '250 ok',
        mxHost: 'mx',
        at: 'now',
      }),
    );
    expect(event.type).toBe('postwave.message.sent.v1');
  });

  it('names the field and the value that broke the contract', () => {
    const attempt = () =>
      parseCommand('postwave.command.create-delivery.v1', {
        deliveryId: 'd 1',
        content: { sender: { address: 'a@b.c' }, subject: 'x' },
        recipients: [{ address: 'a@b.c' }],
      });
    expect(attempt).toThrow(ContractViolation);
    expect(attempt).toThrow(/^data\.deliveryId: .* \(got "d 1"\)$/);
  });

  it('rejects unknown event types', () => {
    expect(() => parseEventEnvelope(envelope('postwave.message.teleported.v1', {}))).toThrow(
      /type: unknown event type/,
    );
  });

  it('parses commands carried in envelopes on the command topic', () => {
    const command = parseAnyEnvelope(envelope('postwave.command.confirm-delivery.v1', { deliveryId: 'd1' }));
    expect(command).toMatchObject({
      type: 'postwave.command.confirm-delivery.v1',
      data: { deliveryId: 'd1' },
    });
  });

  it('upcasts old versions through the whole chain on read', () => {
    const upcasters = {
      'x.renamed.v1': (data: unknown) => ({
        type: 'x.renamed.v2',
        data: { ...(data as object), added: true },
      }),
      'x.renamed.v2': (data: unknown) => ({ type: 'x.renamed.v3', data }),
    };
    expect(upcast({ type: 'x.renamed.v1', data: { a: 1 } }, upcasters)).toEqual({
      type: 'x.renamed.v3',
      data: { a: 1, added: true },
    });
  });
});
