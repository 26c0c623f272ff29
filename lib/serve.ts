import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface Listening {
  server: Server;
  /** `http://host:port` with the port actually bound (port 0 → a free one). */
  origin: string;
  close(): Promise<void>;
}

/** Starts an express app on `port` (0 = any free port) and `host`. */
export function listen(
  app: Express,
  options: { port: number; host: string },
): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server = app.listen(options.port, options.host);
    server.once('error', reject);
    server.once('listening', () => {
      const { port } = server.address() as AddressInfo;
      const host = options.host.includes(':')
        ? `[${options.host}]`
        : options.host === '0.0.0.0'
          ? '127.0.0.1'
          : options.host;
      resolve({
        server,
        origin: `http://${host}:${port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}
