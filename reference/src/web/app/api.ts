// The dashboard's HTTP client. Same origin only (the gateway), the session cookie as the
// credential, and the session's CSRF token on every unsafe request (X-CSRF-Token). Errors
// come back in the control plane's envelope { error: { code, message, details, requestId } }
// and are thrown as ApiError.

export interface Problem {
  in?: string;
  path?: string;
  field?: string;
  code?: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Problem[] = [],
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | undefined;

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** The non-HttpOnly CSRF cookie the api sets beside the session (a reload keeps it). */
export function csrfCookie(): string | undefined {
  const m = /(?:^|;\s*)(?:__Host-)?aigos_csrf=([^;]+)/.exec(document.cookie);
  return m?.[1] ? decodeURIComponent(m[1]) : undefined;
}

/** Signed out, or the session ended: the app shows the sign-in page. */
export const UNAUTHENTICATED_EVENT = 'aigos:unauthenticated';
export const PASSWORD_CHANGE_EVENT = 'aigos:password-change-required';

export interface RequestOptions {
  method?: string;
  /** JSON body (sent as application/json) */
  json?: unknown;
  /** raw body: FormData (multipart) or text with contentType */
  body?: BodyInit;
  contentType?: string;
  signal?: AbortSignal;
  /** false: a 401 is this call's own error (e.g. a service that takes API keys only), not a lost session */
  sessionBound?: boolean;
  accept?: string;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

function problemsOf(v: unknown): Problem[] {
  if (!Array.isArray(v)) return [];
  return v
    .filter((p): p is Record<string, unknown> => !!p && typeof p === 'object')
    .map((p) => ({
      in: typeof p.in === 'string' ? p.in : undefined,
      path: typeof p.path === 'string' ? p.path : typeof p.field === 'string' ? p.field : undefined,
      code: typeof p.code === 'string' ? p.code : undefined,
      message: typeof p.message === 'string' ? p.message : JSON.stringify(p),
    }));
}

async function errorOf(res: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const e = (body as { error?: Record<string, unknown> } | undefined)?.error;
  if (e && typeof e === 'object') {
    return new ApiError(
      res.status,
      String(e.code ?? 'ERROR'),
      String(e.message ?? res.statusText),
      problemsOf(e.details),
      typeof e.requestId === 'string' ? e.requestId : undefined,
    );
  }
  return new ApiError(res.status, `HTTP_${res.status}`, `${res.status} ${res.statusText || 'error'}`);
}

export async function request<T = unknown>(path: string, o: RequestOptions = {}): Promise<T> {
  const method = (o.method ?? (o.json !== undefined || o.body !== undefined ? 'POST' : 'GET')).toUpperCase();
  const headers: Record<string, string> = { Accept: o.accept ?? 'application/json' };
  let body: BodyInit | undefined = o.body;
  if (o.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(o.json);
  } else if (o.contentType) headers['Content-Type'] = o.contentType;
  if (!SAFE.has(method)) {
    const token = csrfToken ?? csrfCookie();
    if (token) headers['X-CSRF-Token'] = token;
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, credentials: 'same-origin', signal: o.signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(
      0,
      'NETWORK',
      'The control plane could not be reached. Check your connection and retry.',
    );
  }
  if (!res.ok) {
    const err = await errorOf(res);
    if (o.sessionBound !== false) {
      if (res.status === 401 && path !== '/auth/login')
        window.dispatchEvent(new CustomEvent(UNAUTHENTICATED_EVENT));
      if (res.status === 403 && err.code === 'PASSWORD_CHANGE_REQUIRED')
        window.dispatchEvent(new CustomEvent(PASSWORD_CHANGE_EVENT));
    }
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) return (await res.json()) as T;
  return (await res.text()) as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => request<T>(path, { signal });

/** Query string from defined, non-empty values (arrays become repeated parameters). */
export function qs(params: Record<string, string | number | boolean | undefined | null | string[]>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => u.append(k, x));
    else u.set(k, String(v));
  }
  const s = u.toString();
  return s ? `?${s}` : '';
}

/**
 * GraphQL (POST /graphql; a cookie-authenticated POST carries the CSRF token). Used for
 * the one view REST does not offer: the certificate list. The first error is thrown.
 */
export async function graphql<T>(
  query: string,
  variables: Record<string, unknown> = {},
  signal?: AbortSignal,
): Promise<T> {
  const out = await request<{
    data?: T;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  }>('/graphql', { json: { query, variables }, signal });
  const first = out.errors?.[0];
  if (first) {
    const ext = first.extensions ?? {};
    throw new ApiError(
      typeof ext.status === 'number' ? ext.status : 400,
      String(ext.code ?? 'GRAPHQL_ERROR'),
      first.message,
      problemsOf(ext.details),
    );
  }
  return out.data as T;
}

/** A human sentence for an error, with the request id to quote. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError)
    return err.requestId ? `${err.message} (request ${err.requestId})` : err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Field path -> message, from a VALIDATION_FAILED error (paths like owner.email or body.owner.email). */
export function fieldErrors(err: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(err instanceof ApiError)) return out;
  for (const p of err.details) {
    if (!p.path) continue;
    const key = p.path.replace(/^body\./, '');
    out[key] ??= p.message;
  }
  return out;
}
