// HTTP probe: one request on its own connection (no pooling, so each scenario sees fresh
// sockets), never throwing for a network error (status 0 and the error instead, so a
// check can record it), and every exchange kept raw in memory (for the secret scan)
// and written redacted as an HTTP transcript.
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface HttpRequestSpec {
  method?: string;
  /** Absolute URL. */
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Serialized as the body with Content-Type application/json. */
  json?: unknown;
  timeoutMs?: number;
  /** PEM bundle to trust for https (the target's private CA). */
  ca?: string;
  /** Skip certificate verification (only where another check verifies the chain). */
  insecure?: boolean;
  signal?: AbortSignal;
  /** Response bytes kept (default 1 MiB); the rest is counted, not stored. */
  maxBodyBytes?: number;
}

export interface HttpExchange {
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody?: string;
  status: number;
  statusMessage?: string;
  httpVersion?: string;
  responseHeaders: IncomingHttpHeaders;
  responseBody: Buffer;
  truncated: boolean;
  error?: string;
  startedAt: string;
  durationMs: number;
  tlsProtocol?: string;
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json<T = unknown>(): T | undefined;
  /** A network or TLS error (status is 0 then). */
  error?: string;
  durationMs: number;
  exchange: HttpExchange;
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

export function httpProbe(spec: HttpRequestSpec): Promise<HttpResult> {
  const method = (spec.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = {
    Accept: 'application/json, text/html;q=0.9, */*;q=0.8',
    ...spec.headers,
  };
  let body: string | Buffer | undefined = spec.body;
  if (spec.json !== undefined) {
    body = JSON.stringify(spec.json);
    headers['Content-Type'] ??= 'application/json';
  }
  const url = new URL(spec.url);
  const https = url.protocol === 'https:';
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const max = spec.maxBodyBytes ?? 1 << 20;
  const exchange: HttpExchange = {
    method,
    url: spec.url,
    requestHeaders: { Host: url.host, ...headers },
    requestBody: body === undefined ? undefined : body.toString(),
    status: 0,
    responseHeaders: {},
    responseBody: Buffer.alloc(0),
    truncated: false,
    startedAt,
    durationMs: 0,
  };
  const result = (): HttpResult => {
    exchange.durationMs = Date.now() - started;
    const text = exchange.responseBody.toString('utf8');
    return {
      status: exchange.status,
      headers: exchange.responseHeaders,
      text,
      json<T>() {
        try {
          return JSON.parse(text) as T;
        } catch {
          return undefined;
        }
      },
      error: exchange.error,
      durationMs: exchange.durationMs,
      exchange,
    };
  };
  return new Promise((resolve) => {
    let settled = false;
    const done = (error?: string) => {
      if (settled) return;
      settled = true;
      if (error) exchange.error = error;
      resolve(result());
    };
    const opts = {
      method,
      headers: headers as OutgoingHttpHeaders,
      agent: false as const,
      timeout: spec.timeoutMs ?? 10_000,
      signal: spec.signal,
      ...(https ? { ca: spec.ca, rejectUnauthorized: !spec.insecure } : {}),
    };
    const req = (https ? httpsRequest : httpRequest)(url, opts, (res) => {
      exchange.status = res.statusCode ?? 0;
      exchange.statusMessage = res.statusMessage;
      exchange.httpVersion = res.httpVersion;
      exchange.responseHeaders = res.headers;
      if (https) exchange.tlsProtocol = (res.socket as TLSSocket).getProtocol?.() ?? undefined;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < max) chunks.push(c.subarray(0, max - size));
        size += c.length;
      });
      res.on('error', (err) => done(err.message));
      res.on('end', () => {
        exchange.responseBody = Buffer.concat(chunks);
        exchange.truncated = size > max;
        done();
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${spec.timeoutMs ?? 10_000} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      done(err.code && !err.message.includes(err.code) ? `${err.code}: ${err.message}` : err.message);
    });
    if (body !== undefined) req.write(body);
    req.end();
  });
}
