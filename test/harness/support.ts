// Helpers of the harness tests: a tiny HTTP server to aim scenarios at, and a target
// under test without any deployment behind it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type {
  Capability,
  Component,
  Endpoints,
  ExecResult,
  NamedSecret,
  StartedDeployment,
} from '../../harness/src/targets/target.js';
import { TargetUnderTest } from '../../harness/src/runner/target-under-test.js';

export interface TestServer {
  url: string;
  server: Server;
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
  close(): Promise<void>;
}

export function startServer(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}`,
        server,
        requests,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** A deployment that exists only in memory (capabilities and secrets as given). */
export class FakeDeployment implements StartedDeployment {
  readonly kind = 'local' as const;
  stopped: Component[] = [];
  constructor(
    readonly publicUrl: string,
    readonly capabilities: ReadonlySet<Capability> = new Set(),
    private readonly secrets: NamedSecret[] = [],
  ) {}
  async endpoints(): Promise<Endpoints> {
    const u = this.publicUrl;
    return {
      target: 'local',
      version: '0.0.0-test',
      public: u,
      gateway: u,
      web: u,
      api: u,
      ca: u,
      database: { url: '' },
      redis: { url: '' },
      storage: { endpoint: '', bucket: '' },
      admin: { email: 'admin@test', passwordFile: '' },
    };
  }
  async version() {
    return '0.0.0-test';
  }
  async exec(argv: string[]): Promise<ExecResult> {
    return { code: 0, stdout: argv.join(' '), stderr: '' };
  }
  async stopComponent(c: Component) {
    this.stopped.push(c);
  }
  async startComponent() {}
  async secretValues() {
    return this.secrets;
  }
  async logTail(component: string) {
    return [`${component} log line`];
  }
  async down() {}
}

export async function fakeTarget(
  publicUrl: string,
  opts: { capabilities?: Capability[]; secrets?: NamedSecret[] } = {},
): Promise<TargetUnderTest> {
  return TargetUnderTest.of(
    new FakeDeployment(publicUrl, new Set(opts.capabilities ?? []), opts.secrets ?? []),
    {
      admin: {},
    },
  );
}
