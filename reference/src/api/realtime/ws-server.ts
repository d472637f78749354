// The dashboard's real-time feed at /ws. A client authenticates at the upgrade with the
// api's shared resolvers: the session cookie (the dashboard; only from an allowed Origin),
// an access token or API key as Authorization: Bearer, or ?token= (browsers cannot set
// headers on a WebSocket). Then it subscribes to channels of its organization:
//
//   -> { "type": "subscribe", "channels": ["events", "compliance", "audit"] }
//   <- { "type": "subscribed", "channels": [...] }
//   <- { "type": "message", "channel": "events", "orgId": "...", "publishedAt": "...", "data": {...} }
//
// (or ?channels=events,audit at connect). Changes arrive through Redis pub/sub (one
// pattern subscription per process), so a change published on any replica reaches the
// sockets of every replica. A socket whose unsent bytes pass WS_MAX_BUFFERED_BYTES is
// dropped (close 4008, "slow consumer"): memory per client stays bounded. The server
// pings every WS_HEARTBEAT_MS and terminates a client that did not answer the previous
// ping; clients may also send { "type": "ping" } and get { "type": "pong" }.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Counter, Gauge, type Registry } from 'prom-client';
import { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../../common/logger.js';
import {
  parseRedisChannel,
  REALTIME_CHANNELS,
  REALTIME_PATTERN,
  type RealtimeChannel,
} from '../../common/realtime.js';
import { Redis } from 'ioredis';
import { credentialsOf, type PrincipalResolver, resolvePrincipal } from '../auth/middleware.js';
import { authorize, type Principal, type Role, type Scope } from '../auth/principal.js';

/** Close code of a dropped slow consumer (private range 4000-4999). */
export const CLOSE_SLOW_CONSUMER = 4008;

/** The scope a principal needs to receive a channel. */
const CHANNEL_SCOPE: Record<RealtimeChannel, Scope> = {
  events: 'events:read',
  compliance: 'compliance:read',
  audit: 'audit:read',
};

/** The role a principal needs for a channel: the same as the REST route that lists it. */
const CHANNEL_ROLE: Record<RealtimeChannel, Role> = {
  events: 'viewer',
  compliance: 'viewer',
  audit: 'admin', // GET /api/v1/audit is admin-only
};

/** Why this principal may not receive the channel, or undefined when it may. */
function channelRefusal(p: Principal, channel: RealtimeChannel): string | undefined {
  try {
    authorize(p, { scopes: [CHANNEL_SCOPE[channel]], minRole: CHANNEL_ROLE[channel] });
    return undefined;
  } catch (err) {
    return `the ${channel} channel: ${(err as Error).message}`;
  }
}

export interface RealtimeOptions {
  redisUrl: string;
  resolvers: PrincipalResolver[];
  heartbeatMs: number;
  maxBufferedBytes: number;
  /** Browser origins allowed to open the socket (others get 403); requests without Origin pass. */
  allowedOrigins: string[];
  log: Logger;
  registry: Registry;
  isShuttingDown: () => boolean;
}

interface Client {
  ws: WebSocket;
  principal: Principal;
  channels: Set<RealtimeChannel>;
  alive: boolean;
}

export class RealtimeServer {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024,
    perMessageDeflate: false,
  });
  private readonly subscriber: Redis;
  /** `${orgId}:${channel}` -> clients */
  private readonly rooms = new Map<string, Set<Client>>();
  private readonly clients = new Set<Client>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly shutdownWatch: NodeJS.Timeout;
  private closed = false;
  private readonly sent: Counter;
  private readonly dropped: Counter;

  constructor(private readonly o: RealtimeOptions) {
    const clients = this.clients;
    new Gauge({
      name: 'aigos_ws_connections',
      help: 'Open WebSocket connections on this process',
      registers: [o.registry],
      collect() {
        this.set(clients.size);
      },
    });
    this.sent = new Counter({
      name: 'aigos_ws_messages_sent_total',
      help: 'Messages pushed to WebSocket clients',
      registers: [o.registry],
    });
    this.dropped = new Counter({
      name: 'aigos_ws_slow_consumers_dropped_total',
      help: 'WebSocket clients dropped because their send buffer passed the bound',
      registers: [o.registry],
    });

    // a dedicated connection: a subscribed Redis connection can do nothing else
    this.subscriber = new Redis(o.redisUrl, {
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      connectTimeout: 2_000,
      retryStrategy: (times) => Math.min(times * 100, 1_000),
    });
    let lastWarned = 0;
    this.subscriber.on('error', (err: Error) => {
      if (Date.now() - lastWarned > 10_000) {
        lastWarned = Date.now();
        o.log.warn({ err: { message: err.message } }, 'realtime: Redis subscriber problem; retrying');
      }
    });
    void this.subscriber.psubscribe(REALTIME_PATTERN).catch(() => undefined);
    this.subscriber.on('pmessage', (_pattern: string, channel: string, message: string) =>
      this.fanOut(channel, message),
    );

    this.heartbeat = setInterval(() => this.beat(), o.heartbeatMs);
    this.heartbeat.unref();
    // SIGTERM: tell clients to reconnect elsewhere, so the HTTP server can finish closing
    this.shutdownWatch = setInterval(() => {
      if (o.isShuttingDown()) void this.close();
    }, 200);
    this.shutdownWatch.unref();
  }

  get connectionCount(): number {
    return this.clients.size;
  }

  /** ServiceContext.onUpgrade for /ws. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ws' && url.pathname !== '/ws/')
      return reject(socket, 404, 'NOT_FOUND', 'no WebSocket endpoint here; use /ws');
    if (this.closed) return reject(socket, 503, 'SHUTTING_DOWN', 'the server is shutting down; reconnect');
    const origin = req.headers.origin;
    if (origin && !this.o.allowedOrigins.includes(origin))
      return reject(socket, 403, 'FORBIDDEN', `origin ${origin} may not open the real-time feed`);
    socket.on('error', () => socket.destroy());
    void this.authenticate(req, url).then(
      (principal) => {
        if (!principal)
          return reject(
            socket,
            401,
            'UNAUTHENTICATED',
            'authentication required: Authorization: Bearer <token> or ?token=',
          );
        this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, principal, url));
      },
      (err: Error & { status?: number; code?: string }) => {
        if (err.status === 401) return reject(socket, 401, 'UNAUTHENTICATED', err.message);
        // refusals such as PASSWORD_CHANGE_REQUIRED are the caller's problem, not ours
        if (err.status === 403) return reject(socket, 403, err.code ?? 'FORBIDDEN', err.message);
        this.o.log.warn({ err: { message: err.message } }, 'realtime: authentication failed');
        reject(socket, 500, 'INTERNAL', 'internal error');
      },
    );
  }

  /** The shared resolvers (API key, access token, session cookie); browsers may pass ?token=. */
  private async authenticate(req: IncomingMessage, url: URL): Promise<Principal | undefined> {
    const credentials = credentialsOf(req);
    const token = url.searchParams.get('token');
    if (!credentials.bearer && token) credentials.bearer = token;
    return resolvePrincipal(this.o.resolvers, req, credentials);
  }

  private accept(ws: WebSocket, principal: Principal, url: URL): void {
    const client: Client = { ws, principal, channels: new Set(), alive: true };
    this.clients.add(client);
    ws.on('pong', () => (client.alive = true));
    ws.on('message', (raw, isBinary) => this.onMessage(client, raw.toString(), isBinary));
    ws.on('close', () => this.forget(client));
    ws.on('error', () => this.forget(client));
    this.send(client, {
      type: 'welcome',
      orgId: principal.orgId,
      channels: REALTIME_CHANNELS.filter((c) => !channelRefusal(principal, c)),
      heartbeatMs: this.o.heartbeatMs,
    });
    const initial = url.searchParams.get('channels');
    if (initial) this.subscribe(client, initial.split(','));
  }

  private onMessage(client: Client, text: string, isBinary: boolean): void {
    let msg: { type?: unknown; channels?: unknown };
    try {
      msg = isBinary ? {} : (JSON.parse(text) as typeof msg);
    } catch {
      return this.send(client, {
        type: 'error',
        code: 'INVALID_JSON',
        message: 'messages must be JSON objects',
      });
    }
    const channels = Array.isArray(msg.channels) ? msg.channels.map(String) : [];
    switch (msg.type) {
      case 'subscribe':
        return this.subscribe(client, channels);
      case 'unsubscribe':
        for (const c of channels) {
          if (!client.channels.delete(c as RealtimeChannel)) continue;
          this.rooms.get(`${client.principal.orgId}:${c}`)?.delete(client);
        }
        return this.send(client, { type: 'unsubscribed', channels: [...client.channels] });
      case 'ping':
        return this.send(client, { type: 'pong', at: new Date().toISOString() });
      default:
        return this.send(client, {
          type: 'error',
          code: 'UNKNOWN_TYPE',
          message: 'expected { "type": "subscribe" | "unsubscribe" | "ping", "channels": [...] }',
        });
    }
  }

  private subscribe(client: Client, names: string[]): void {
    for (const name of names.map((n) => n.trim())) {
      const channel = name as RealtimeChannel;
      if (!REALTIME_CHANNELS.includes(channel)) {
        this.send(client, {
          type: 'error',
          code: 'UNKNOWN_CHANNEL',
          channel: name,
          message: `channels are ${REALTIME_CHANNELS.join(', ')}`,
        });
        continue;
      }
      const refusal = channelRefusal(client.principal, channel);
      if (refusal) {
        this.send(client, { type: 'error', code: 'FORBIDDEN', channel, message: refusal });
        continue;
      }
      client.channels.add(channel);
      const room = `${client.principal.orgId}:${channel}`;
      let set = this.rooms.get(room);
      if (!set) this.rooms.set(room, (set = new Set()));
      set.add(client);
    }
    this.send(client, { type: 'subscribed', channels: [...client.channels] });
  }

  private fanOut(redisChannel: string, message: string): void {
    const target = parseRedisChannel(redisChannel);
    if (!target) return;
    const room = this.rooms.get(`${target.orgId}:${target.channel}`);
    if (!room) return;
    for (const client of room) this.deliver(client, message);
  }

  private deliver(client: Client, message: string): void {
    const { ws } = client;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount + Buffer.byteLength(message) > this.o.maxBufferedBytes) {
      this.dropSlow(client);
      return;
    }
    ws.send(message);
    this.sent.inc();
  }

  private dropSlow(client: Client): void {
    this.dropped.inc();
    this.o.log.warn(
      { orgId: client.principal.orgId, buffered: client.ws.bufferedAmount, bound: this.o.maxBufferedBytes },
      'realtime: dropping a slow consumer',
    );
    this.forget(client);
    // the close frame would queue behind the backlog: say it, then cut the connection
    try {
      client.ws.close(CLOSE_SLOW_CONSUMER, 'slow consumer: send buffer bound exceeded');
    } catch {
      // already closing
    }
    client.ws.terminate();
  }

  private send(client: Client, body: unknown): void {
    if (client.ws.readyState === WebSocket.OPEN) client.ws.send(JSON.stringify(body));
  }

  private forget(client: Client): void {
    if (!this.clients.delete(client)) return;
    for (const c of client.channels) this.rooms.get(`${client.principal.orgId}:${c}`)?.delete(client);
  }

  private beat(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        this.forget(client);
        client.ws.terminate();
        continue;
      }
      client.alive = false;
      try {
        client.ws.ping();
      } catch {
        // closed meanwhile
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    clearInterval(this.shutdownWatch);
    for (const client of [...this.clients]) {
      this.forget(client);
      client.ws.close(1001, 'server shutting down');
      setTimeout(() => client.ws.terminate(), 1_000).unref();
    }
    this.wss.close();
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }
}

function reject(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message, requestId: 'ws' } });
  const reason =
    {
      401: 'Unauthorized',
      403: 'Forbidden',
      404: 'Not Found',
      500: 'Internal Server Error',
      503: 'Service Unavailable',
    }[status] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  setTimeout(() => socket.destroy(), 1_000).unref();
}
