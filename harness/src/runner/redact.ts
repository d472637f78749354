// Redaction of everything the harness writes as evidence: credentials in headers
// (Authorization, Cookie, Set-Cookie, API keys), sensitive fields in JSON and form
// bodies (passwords, tokens, secrets, keys), private keys in PEM, and every known
// secret value of the deployment wherever it appears (also URL-encoded).

export const REDACTED = '[REDACTED]';

const SENSITIVE_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-auth-token',
  'x-csrf-token',
  'x-amz-security-token',
]);

const SENSITIVE_WORDS = new Set([
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'privatekey',
  'authorization',
  'cookie',
  'credential',
  'credentials',
  'otp',
]);

/** camelCase, snake_case and kebab-case split into lower-case words. */
function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_.-]+/)
    .map((w) => w.toLowerCase())
    .filter(Boolean);
}

export function isSensitiveKey(key: string): boolean {
  const w = words(key);
  if (w.length === 1 && w[0] === 'key') return true;
  if (w.some((x) => SENSITIVE_WORDS.has(x))) return true;
  // api_key, private-key, client secret...
  for (let i = 0; i + 1 < w.length; i++) {
    const pair = w[i]! + w[i + 1]!;
    if (SENSITIVE_WORDS.has(pair)) return true;
  }
  return false;
}

function redactHeaderValue(name: string, value: string): string {
  const lower = name.toLowerCase();
  if (lower === 'authorization' || lower === 'proxy-authorization') {
    const scheme = /^(\S+)\s+/.exec(value)?.[1];
    return scheme ? `${scheme} ${REDACTED}` : REDACTED;
  }
  if (lower === 'cookie') {
    return value
      .split(';')
      .map((part) => {
        const eq = part.indexOf('=');
        return eq > 0 ? `${part.slice(0, eq).trim()}=${REDACTED}` : part.trim();
      })
      .join('; ');
  }
  if (lower === 'set-cookie') {
    // keep the cookie's name and attributes (Secure, HttpOnly, SameSite are worth seeing)
    const [first, ...attrs] = value.split(';');
    const eq = first!.indexOf('=');
    const name = eq > 0 ? first!.slice(0, eq).trim() : first!.trim();
    return [`${name}=${REDACTED}`, ...attrs.map((a) => a.trim())].join('; ');
  }
  return REDACTED;
}

export type HeaderBag = Record<string, string | string[] | number | undefined>;

export function redactHeaders(headers: HeaderBag): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const sensitive = SENSITIVE_HEADERS.has(name.toLowerCase());
    if (Array.isArray(value)) out[name] = sensitive ? value.map((v) => redactHeaderValue(name, v)) : value;
    else out[name] = sensitive ? redactHeaderValue(name, String(value)) : String(value);
  }
  return out;
}

export function redactJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactJson);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        isSensitiveKey(k) && v !== null && typeof v !== 'object' && typeof v !== 'boolean'
          ? REDACTED
          : redactJson(v),
      ]),
    );
  }
  return value;
}

const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g;

/** Redact a body by its content type (JSON, form), then PEM private keys. */
export function redactBody(text: string, contentType = ''): string {
  let out = text;
  if (/json/i.test(contentType) || /^\s*[[{]/.test(text)) {
    try {
      out = JSON.stringify(redactJson(JSON.parse(text)), null, 2);
    } catch {
      // not JSON after all
    }
  } else if (/x-www-form-urlencoded/i.test(contentType)) {
    const params = new URLSearchParams(text);
    for (const key of [...params.keys()]) if (isSensitiveKey(key)) params.set(key, REDACTED);
    out = params.toString();
  }
  return out.replace(
    PEM_PRIVATE_KEY,
    `-----BEGIN $1PRIVATE KEY-----\n${REDACTED}\n-----END $1PRIVATE KEY-----`,
  );
}

/** Replaces the deployment's known secret values (and their URL-encoded forms) anywhere. */
export class Redactor {
  private readonly values: { name: string; forms: string[] }[] = [];

  constructor(secrets: { name: string; value: string }[] = []) {
    for (const s of secrets) this.add(s.name, s.value);
  }

  add(name: string, value: string): void {
    // very short values would redact ordinary text
    if (value.length < 6) return;
    const forms = [...new Set([value, encodeURIComponent(value), Buffer.from(value).toString('base64')])];
    this.values.push({ name, forms });
  }

  get size(): number {
    return this.values.length;
  }

  text(text: string): string {
    let out = text;
    for (const { name, forms } of this.values)
      for (const form of forms) if (out.includes(form)) out = out.split(form).join(`[REDACTED:${name}]`);
    return out;
  }

  /** Names of the known secrets that occur in text (unredacted input). */
  find(text: string): string[] {
    return this.values.filter(({ forms }) => forms.some((f) => text.includes(f))).map((v) => v.name);
  }
}
