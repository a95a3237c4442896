// ward's web UI: log in, then a hash-routed single page (#/, #/sessions/ID, #/approvals).
import '@xterm/xterm/css/xterm.css';
import 'diff2html/bundles/css/diff2html.min.css';
import 'highlight.js/styles/github-dark.css';
import './style.css';
import { api, ApiError, setCsrf, type Me } from './api';
import { clear, el, showError } from './dom';
import { approvalsView, listView } from './list_view';
import { sessionView } from './session_view';

const app = document.getElementById('app') as HTMLElement;
const who = document.getElementById('who') as HTMLElement;
const badge = document.getElementById('pending-badge') as HTMLElement;
let me: Me | null = null;
let teardown: (() => void) | null = null;

function loginView(): void {
  const user = el('input', { name: 'user', autocomplete: 'username', required: true, 'aria-label': 'User' });
  const password = el('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'aria-label': 'Password' });
  const out = el('div');
  const form = el('form', { class: 'card login' }, el('h1', {}, 'Sign in to ward'), user, password, el('button', { type: 'submit' }, 'Sign in'), out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clear(out);
    try {
      me = await api.login(user.value.trim(), password.value);
      setCsrf(me.csrf);
      route();
    } catch (err) {
      showError(out, err);
    }
  });
  clear(app);
  app.append(form);
  user.focus();
}

function renderWho(): void {
  clear(who);
  if (!me) return;
  const out = el('button', { type: 'button', class: 'link' }, 'Sign out');
  out.addEventListener('click', async () => {
    await api.logout().catch(() => undefined);
    me = null;
    setCsrf('');
    route();
  });
  who.append(`${me.user} (${me.role}) `, out);
}

async function refreshBadge(): Promise<void> {
  if (!me) return;
  try {
    const n = (await api.approvals()).length;
    badge.hidden = n === 0;
    badge.textContent = String(n);
  } catch {
    /* shown elsewhere */
  }
}

function route(): void {
  teardown?.();
  teardown = null;
  renderWho();
  if (!me) return loginView();
  clear(app);
  const hash = location.hash.replace(/^#/, '') || '/';
  const m = /^\/sessions\/([A-Za-z0-9_-]+)$/.exec(hash);
  if (m) teardown = sessionView(app, me, m[1]);
  else if (hash === '/approvals') teardown = approvalsView(app, me);
  else teardown = listView(app, me);
  void refreshBadge();
}

async function start(): Promise<void> {
  try {
    me = await api.me();
    setCsrf(me.csrf);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) showError(app, err);
    me = null;
  }
  window.addEventListener('hashchange', route);
  window.addEventListener('ward:approvals-changed', () => void refreshBadge());
  window.setInterval(() => void refreshBadge(), 5000);
  route();
}

void start();
