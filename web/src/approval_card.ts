// An approval card: what the action is, its diff, the exact hash being approved,
// a countdown to expiry, and Approve / Deny with a reason; once decided here, who
// decided instead of the buttons and the countdown.
import { api, type Approval, type Me, canAct } from './api';
import { countdown, el, showError } from './dom';
import { actionView } from './diffview';

export function approvalCard(a: Approval, me: Me, onDecided: () => void): HTMLElement {
  const expiry = el('span', { class: 'expiry' });
  const tick = () => {
    const left = a.expires_ms - Date.now();
    expiry.textContent = left > 0 ? 'expires in ' + countdown(left) : 'expired';
    expiry.classList.toggle('soon', left < 60_000);
  };
  tick();
  const timer = window.setInterval(() => {
    if (!card.isConnected) window.clearInterval(timer);
    else tick();
  }, 1000);
  const reason = el('input', {
    type: 'text',
    class: 'reason',
    placeholder: 'Reason (optional)',
    'aria-label': 'Reason',
    maxlength: '500',
  });
  const status = el('div', { class: 'card-status' });
  const decide = async (decision: 'approve' | 'deny') => {
    if (decision === 'deny' && !window.confirm('Deny this action?')) return;
    buttons.querySelectorAll('button').forEach((b) => (b.disabled = true));
    try {
      const done = await api.decide(a.id, decision, a.hash, reason.value);
      status.textContent = `${done.state} by ${done.decided_by ?? me.user}`;
      card.dataset.state = done.state;
      // Decided: no more buttons, and no countdown to an expiry that no longer applies.
      controls?.remove();
      expiry.remove();
      window.clearInterval(timer);
      window.dispatchEvent(new Event('ward:approvals-changed'));  // e.g. the nav badge
      onDecided();
    } catch (err) {
      showError(status, err);
      buttons.querySelectorAll('button').forEach((b) => (b.disabled = false));
    }
  };
  const approve = el('button', { class: 'approve', type: 'button' }, 'Approve');
  const deny = el('button', { class: 'deny', type: 'button' }, 'Deny');
  approve.addEventListener('click', () => void decide('approve'));
  deny.addEventListener('click', () => void decide('deny'));
  const buttons = el('div', { class: 'actions' }, approve, deny);
  const controls = canAct(me) && a.state === 'pending' ? el('div', {}, reason, buttons) : null;
  const card = el(
    'article',
    { class: 'card approval', 'data-approval': a.id, 'data-state': a.state },
    el('h3', {}, a.summary || 'Action waiting for approval'),
    el(
      'p',
      { class: 'meta' },
      `session ${a.session} · asked by ${a.requested_by || '?'}`,
      a.rule ? ` · rule ${a.rule}` : '',
    ),
    actionView(a.action),
    el('p', { class: 'hash' }, 'hash ', el('code', { title: a.hash }, a.hash)),
    expiry,
    controls,
    status,
  );
  return card;
}

// Replaces the pending cards in `box` with `cards`, keeping the ones just decided
// here (they show who decided) until the view is left.
export function replacePending(box: HTMLElement, cards: HTMLElement[]): void {
  for (const child of [...box.children]) {
    const state = (child as HTMLElement).dataset.state;
    if (!state || state === 'pending') child.remove();
  }
  const decided = new Set([...box.children].map((c) => (c as HTMLElement).dataset.approval));
  for (const card of cards) if (!decided.has(card.dataset.approval)) box.append(card);
}
