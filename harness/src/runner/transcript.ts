// An HTTP exchange as a readable, redacted transcript (curl -v style).
import type { HttpExchange } from '../drivers/http.js';
import { redactBody, redactHeaders } from './redact.js';

const MAX_BODY_CHARS = 64 * 1024;

function headerLines(prefix: string, headers: Record<string, string | string[]>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers))
    for (const v of Array.isArray(value) ? value : [value]) out.push(`${prefix} ${name}: ${v}`);
  return out;
}

function bodyText(text: string, contentType: string | undefined): string {
  const red = redactBody(text, contentType);
  return red.length > MAX_BODY_CHARS
    ? `${red.slice(0, MAX_BODY_CHARS)}\n[... ${red.length - MAX_BODY_CHARS} more characters not shown]`
    : red;
}

export function formatTranscript(x: HttpExchange, label: string): string {
  const url = new URL(x.url);
  const reqHeaders = redactHeaders(x.requestHeaders);
  const lines = [
    `# ${label}`,
    `# ${x.method} ${x.url}`,
    `# started ${x.startedAt}, ${x.durationMs} ms${x.tlsProtocol ? `, ${x.tlsProtocol}` : ''}`,
    `> ${x.method} ${url.pathname}${url.search} HTTP/1.1`,
    ...headerLines('>', reqHeaders),
    '>',
  ];
  if (x.requestBody) {
    const ct = Object.entries(x.requestHeaders).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
    lines.push(bodyText(x.requestBody, ct), '');
  }
  if (x.error) {
    lines.push(`! ${x.error}`);
    return lines.join('\n') + '\n';
  }
  lines.push(
    `< HTTP/${x.httpVersion ?? '1.1'} ${x.status} ${x.statusMessage ?? ''}`.trimEnd(),
    ...headerLines('<', redactHeaders(x.responseHeaders)),
    '<',
  );
  const ct = x.responseHeaders['content-type'];
  if (x.responseBody.length) {
    const binary = ct && !/json|text|xml|javascript|html/i.test(ct);
    lines.push(
      binary ? `[${x.responseBody.length} bytes of ${ct}]` : bodyText(x.responseBody.toString('utf8'), ct),
    );
  }
  if (x.truncated) lines.push('[response body truncated by the harness]');
  return lines.join('\n') + '\n';
}
