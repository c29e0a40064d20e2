import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export type SmtpHandlers = Required<Pick<SMTPServerOptions, 'onConnect' | 'onRcptTo' | 'onData' | 'onClose'>>;

export interface ListenerOptions {
  hostname: string;
  maxMessageSize: number;
  closeTimeoutMs: number;
}

/** smtp-server configured as a receiving MX that needs no network, no TLS and no AUTH. */
export function createSmtpServer(o: ListenerOptions, handlers: SmtpHandlers): SMTPServer {
  return new SMTPServer({
    ...handlers,
    name: o.hostname,
    banner: 'Postwave mailbox simulator',
    logger: false, // also silences the warning about the built-in TLS certificate, which is never used
    disableReverseLookup: true, // no DNS: the simulator must work without a network
    disabledCommands: ['AUTH', 'STARTTLS'], // an MX needs no AUTH; STARTTLS would need a trusted certificate
    authOptional: true,
    hideENHANCEDSTATUSCODES: false, // advertised, and every reply carries one (see ReplyChannel)
    hideDSN: false, // so ENVID and ORCPT reach the generated DSNs
    size: o.maxMessageSize,
    rejectOversized: true,
    closeTimeout: o.closeTimeoutMs,
  });
}

/** Resolves with the bound port, or rejects with the socket error (EADDRINUSE…). */
export function listen(server: SMTPServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.server.address() as AddressInfo).port);
    });
  });
}

export function close(server: SMTPServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      // After closeTimeout smtp-server only ends the sockets; a client that never answers
      // would keep one open, so cut what is left.
      for (const connection of server.connections) connection._socket.destroy();
      resolve();
    });
  });
}
