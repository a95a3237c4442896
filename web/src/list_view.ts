// The session list (live status), the start form, audit status; and all pending approvals.
import { api, canAct, type Me } from './api';
import { approvalCard, replacePending } from './approval_card';
import { clear, el, showError, statusPill, when } from './dom';

export function listView(root: HTMLElement, me: Me): () => void {
  const audit = el('section', { class: 'card audit', 'aria-label': 'Audit log' });
  const list = el('ul', { class: 'sessions' });
  if (canAct(me)) root.append(startForm());
  root.append(audit, el('h2', {}, 'Sessions'), list);

  const refresh = async () => {
    try {
      const sessions = await api.sessions();
      clear(list);
      if (sessions.length === 0) list.append(el('li', { class: 'empty' }, 'No sessions yet.'));
      for (const s of sessions) {
        list.append(
          el(
            'li',
            { 'data-session': s.id },
            el(
              'a',
              { href: '#/sessions/' + encodeURIComponent(s.id) },
              el('span', { class: 'task' }, s.task),
              el('span', { class: 'meta' }, statusPill(s.status), ` ${s.steps} steps · ${s.actor} · ${when(s.created)}`),
            ),
          ),
        );
      }
    } catch (err) {
      showError(list, err);
    }
  };
  const refreshAudit = async () => {
    try {
      const a = await api.audit();
      clear(audit);
      audit.append(
        ...[el('h2', {}, 'Audit log ', el('span', { class: 'pill ' + (a.ok ? 'succeeded' : 'failed') }, a.ok ? 'verified' : 'BROKEN')),
        el('p', { class: 'meta' }, `${a.entries} entries · head `, el('code', { title: a.head_hash }, a.head_hash.slice(0, 16) + '…')),
        a.ok ? '' : el('p', { class: 'error' }, `entry ${a.first_bad_seq}: ${a.problem}`)],
      );
    } catch (err) {
      showError(audit, err);
    }
  };
  void refresh();
  void refreshAudit();
  const timer = window.setInterval(() => void refresh(), 3000);
  return () => window.clearInterval(timer);
}

function startForm(): HTMLElement {
  const task = el('textarea', { name: 'task', rows: '2', placeholder: 'What should the agent do?', required: true, 'aria-label': 'Task' });
  const model = el('input', { name: 'model', placeholder: 'Model (default from ward.toml)', 'aria-label': 'Model' });
  const out = el('div');
  const form = el('form', { class: 'card start' }, el('h2', {}, 'Start a task'), task, model, el('button', { type: 'submit' }, 'Start'), out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clear(out);
    try {
      const { id } = await api.start(task.value.trim(), model.value.trim());
      location.hash = '#/sessions/' + encodeURIComponent(id);
    } catch (err) {
      showError(out, err);
    }
  });
  return form;
}

export function approvalsView(root: HTMLElement, me: Me): () => void {
  const box = el('section', { class: 'approvals' });
  root.append(el('h1', {}, 'Pending approvals'), box);
  const refresh = async () => {
    try {
      const list = await api.approvals();
      const cards = list.map((a) => {
        const card = approvalCard(a, me, () => void refresh());
        card.append(el('a', { href: '#/sessions/' + encodeURIComponent(a.session) }, 'Open the session'));
        return card;
      });
      if (cards.length === 0) cards.push(el('p', { class: 'empty' }, 'Nothing waits for a decision.'));
      replacePending(box, cards);
    } catch (err) {
      showError(box, err);
    }
  };
  void refresh();
  const timer = window.setInterval(() => void refresh(), 5000);
  return () => window.clearInterval(timer);
}
