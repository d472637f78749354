// Port selection: keep the seed's default when it is free on 127.0.0.1, otherwise
// take a free one and say so.
import { createServer } from 'node:net';

export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface PortChoice {
  port: number;
  /** Set when the preferred port was taken. */
  movedFrom?: number;
}

/** Choose ports for named components; never hands out the same port twice. */
export async function choosePorts(preferred: Record<string, number>): Promise<Record<string, PortChoice>> {
  const taken = new Set<number>();
  const out: Record<string, PortChoice> = {};
  for (const [name, port] of Object.entries(preferred)) {
    if (!taken.has(port) && (await isPortFree(port))) {
      out[name] = { port };
    } else {
      let p = await freePort();
      while (taken.has(p)) p = await freePort();
      out[name] = { port: p, movedFrom: port };
    }
    taken.add(out[name]!.port);
  }
  return out;
}
