// Server-rendered pages of the login flows: sign in (password form and one button per
// single sign-on provider), forced/voluntary password change, a refusal page that says
// why, "who am I" and "signed out". No script at all and only the same-origin
// stylesheet, so the strict CSP below holds; every value is HTML-escaped.
import type { Response } from 'express';

export function escapeHtml(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const AUTH_CSS = `
:root { color-scheme: light dark; --accent: #2457c5; --bad: #b3261e; --fg: #1b1b1f; --bg: #f6f7fb; --card: #fff; --muted: #5b5f6a; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e6ea; --bg: #15161a; --card: #1f2026; --muted: #a0a4ae; --accent: #8fb0ff; --bad: #ffb4ab; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 28rem; margin: 4rem auto; padding: 2rem; background: var(--card); border-radius: 12px; box-shadow: 0 2px 12px rgba(0,0,0,.08); }
h1 { font-size: 1.4rem; margin: 0 0 1rem; }
label { display: block; margin: .75rem 0 .25rem; font-weight: 600; }
input[type=email], input[type=password], input[type=text] { width: 100%; padding: .6rem; font: inherit; border: 1px solid var(--muted); border-radius: 6px; background: transparent; color: inherit; }
button, .button { display: inline-block; width: 100%; margin-top: 1rem; padding: .65rem 1rem; font: inherit; font-weight: 600; color: #fff; background: var(--accent); border: 0; border-radius: 6px; text-align: center; text-decoration: none; cursor: pointer; }
.sso .button { background: transparent; color: var(--accent); border: 1px solid var(--accent); margin-top: .5rem; }
.error { color: var(--bad); border-left: 4px solid var(--bad); padding: .25rem .75rem; }
.notice { border-left: 4px solid var(--accent); padding: .25rem .75rem; }
.muted { color: var(--muted); font-size: .9rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dt { font-weight: 600; } dd { margin: 0; word-break: break-all; }
hr { border: 0; border-top: 1px solid var(--muted); opacity: .3; margin: 1.5rem 0; }
`;

/** Security headers of every HTML page; formActions adds origins a form may post/redirect to. */
export function pageHeaders(res: Response, formActions: readonly string[] = []): void {
  res.setHeader(
    'Content-Security-Policy',
    [
      "default-src 'none'",
      "style-src 'self'",
      "img-src 'self'",
      `form-action 'self'${formActions.map((o) => ` ${o}`).join('')}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
  );
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · AIGOS Control Plane</title>
<link rel="stylesheet" href="/auth/assets/auth.css">
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

const message = (kind: 'error' | 'notice', text?: string) =>
  text
    ? `<p class="${kind}" role="${kind === 'error' ? 'alert' : 'status'}" id="${kind}">${escapeHtml(text)}</p>`
    : '';

export interface SsoButton {
  name: string;
  label: string;
  href: string;
}

export function loginPage(o: {
  csrf: string;
  returnTo: string;
  email?: string;
  error?: string;
  notice?: string;
  localEnabled: boolean;
  providers: SsoButton[];
}): string {
  const form = o.localEnabled
    ? `<form method="post" action="/auth/login" novalidate>
<input type="hidden" name="_csrf" value="${escapeHtml(o.csrf)}">
<input type="hidden" name="returnTo" value="${escapeHtml(o.returnTo)}">
<label for="email">E-mail</label>
<input id="email" name="email" type="email" autocomplete="username" required value="${escapeHtml(o.email)}"${o.error ? ' aria-describedby="error"' : ''}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`
    : '';
  const sso = o.providers.length
    ? `${o.localEnabled ? '<hr>' : ''}<nav class="sso" aria-label="Single sign-on">
${o.providers.map((p) => `<a class="button" id="sso-${escapeHtml(p.name)}" href="${escapeHtml(p.href)}">Sign in with ${escapeHtml(p.label)}</a>`).join('\n')}
</nav>`
    : '';
  return layout(
    'Sign in',
    `<h1>Sign in to AIGOS</h1>\n${message('error', o.error)}${message('notice', o.notice)}\n${form}\n${sso}`,
  );
}

export function changePasswordPage(o: {
  csrf: string;
  returnTo: string;
  email: string;
  forced: boolean;
  error?: string;
  problems?: string[];
  minLength: number;
}): string {
  const problems = o.problems?.length
    ? `<ul class="error" role="alert" id="problems">${o.problems.map((p) => `<li>New password ${escapeHtml(p)}</li>`).join('')}</ul>`
    : '';
  return layout(
    'Change password',
    `<h1>Change your password</h1>
${o.forced ? message('notice', 'You signed in with the initial password. Choose a new one before you continue; nothing else is available until then.') : ''}
${message('error', o.error)}${problems}
<form method="post" action="/auth/change-password" novalidate>
<input type="hidden" name="_csrf" value="${escapeHtml(o.csrf)}">
<input type="hidden" name="returnTo" value="${escapeHtml(o.returnTo)}">
<input type="text" name="username" autocomplete="username" value="${escapeHtml(o.email)}" hidden readonly>
<label for="currentPassword">Current password</label>
<input id="currentPassword" name="currentPassword" type="password" autocomplete="current-password" required>
<label for="newPassword">New password</label>
<input id="newPassword" name="newPassword" type="password" autocomplete="new-password" minlength="${o.minLength}" required aria-describedby="newPasswordHint">
<p class="muted" id="newPasswordHint">At least ${o.minLength} characters; not the initial password.</p>
<label for="confirmPassword">Repeat the new password</label>
<input id="confirmPassword" name="confirmPassword" type="password" autocomplete="new-password" required>
<button type="submit">Change password</button>
</form>
<form method="post" action="/auth/logout"><input type="hidden" name="_csrf" value="${escapeHtml(o.csrf)}"><button type="submit" class="secondary">Sign out</button></form>`,
  );
}

export function refusedPage(o: {
  title: string;
  reason: string;
  detail?: string;
  requestId?: string;
}): string {
  return layout(
    o.title,
    `<h1>${escapeHtml(o.title)}</h1>
<p class="error" role="alert" id="reason">${escapeHtml(o.reason)}</p>
${o.detail ? `<p>${escapeHtml(o.detail)}</p>` : ''}
${o.requestId ? `<p class="muted">Request id: <code>${escapeHtml(o.requestId)}</code> (quote it to your administrator).</p>` : ''}
<p><a href="/auth/login">Back to sign in</a></p>`,
  );
}

export function whoamiPage(o: {
  csrf: string;
  email: string;
  name: string;
  userId: string;
  orgSlug: string;
  orgName: string;
  role: string;
  method: string;
  provider?: string;
}): string {
  return layout(
    'Signed in',
    `<h1>Signed in</h1>
<dl id="identity">
<dt>E-mail</dt><dd id="who-email">${escapeHtml(o.email)}</dd>
<dt>Name</dt><dd id="who-name">${escapeHtml(o.name)}</dd>
<dt>Organization</dt><dd id="who-org">${escapeHtml(o.orgSlug)} (${escapeHtml(o.orgName)})</dd>
<dt>Role</dt><dd id="who-role">${escapeHtml(o.role)}</dd>
<dt>Signed in with</dt><dd id="who-method">${escapeHtml(o.method)}${o.provider ? ` (${escapeHtml(o.provider)})` : ''}</dd>
<dt>User id</dt><dd id="who-id">${escapeHtml(o.userId)}</dd>
</dl>
<p><a href="/auth/change-password">Change password</a></p>
<form method="post" action="/auth/logout"><input type="hidden" name="_csrf" value="${escapeHtml(o.csrf)}"><button type="submit" id="logout">Sign out</button></form>`,
  );
}
