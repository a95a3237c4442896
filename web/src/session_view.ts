// One session, live: its header and controls, pending approvals, the output in a
// terminal (xterm.js), the model's replies and code actions, and the answer.
import { Terminal } from '@xterm/xterm';
import hljs from 'highlight.js/lib/core';
import python from 'highlight.js/lib/languages/python';
import { api, canAct, type Me, type WardEvent } from './api';
import { approvalCard, replacePending } from './approval_card';
import { clear, el, showError, statusPill, when } from './dom';
import { rollbackReport } from './rollback_view';

hljs.registerLanguage('python', python);

function codeBlock(code: string): HTMLElement {
  const c = el('code', { class: 'language-python hljs' });
  // highlight.js escapes the source it highlights.
  c.innerHTML = hljs.highlight(code, { language: 'python' }).value;
  return el('pre', { class: 'code' }, c);
}

function terminalText(s: string): string {
  return s.replace(/\r?\n/g, '\r\n');
}

export function sessionView(root: HTMLElement, me: Me, id: string): () => void {
  const header = el('section', { class: 'card session-head' });
  const undone = el('div', { class: 'rollback-result' });
  const approvals = el('section', { class: 'approvals', 'aria-label': 'Pending approvals' });
  const termBox = el('div', { class: 'terminal', 'aria-label': 'Output' });
  const timeline = el('section', { class: 'timeline' });
  const answer = el('section', { class: 'answer', hidden: true });
  root.append(header, undone, approvals, el('h2', {}, 'Output'), termBox, answer, el('h2', {}, 'Steps'), timeline);

  const term = new Terminal({
    convertEol: false,
    disableStdin: true,
    fontSize: 13,
    rows: 14,
    scrollback: 5000,
    theme: { background: '#0b1020' },
  });
  term.open(termBox);
  const fit = () => {
    const cols = Math.max(20, Math.floor(termBox.clientWidth / 7.9));
    term.resize(cols, 14);
  };
  fit();
  window.addEventListener('resize', fit);

  let closed = false;
  let source: EventSource | null = null;

  const renderHeader = async () => {
    try {
      const s = await api.session(id);
      clear(header);
      const cancel = el('button', { type: 'button', class: 'danger' }, 'Cancel');
      const rollback = el('button', { type: 'button' }, 'Roll back');
      cancel.addEventListener('click', async () => {
        if (!window.confirm('Cancel this session?')) return;
        try {
          await api.cancel(id);
        } catch (err) {
          showError(header, err);
        }
      });
      rollback.addEventListener('click', async () => {
        if (!window.confirm("Roll back this session's writes?")) return;
        rollback.disabled = true;
        clear(undone);
        try {
          undone.append(rollbackReport(await api.rollback(id)));
        } catch (err) {
          showError(undone, err);
        }
        rollback.disabled = false;
      });
      header.append(
        el('h1', {}, s.task),
        el('p', { class: 'meta' }, statusPill(s.status), ` ${s.model} · by ${s.actor} · ${when(s.created)}`),
        el('p', { class: 'meta' }, `${s.steps} steps · ${s.input_tokens + s.output_tokens} tokens · ${s.id}`),
        canAct(me)
          ? el('div', { class: 'actions' }, s.status === 'running' ? cancel : rollback)
          : '',
      );
      if (s.status !== 'running' && s.answer) {
        answer.hidden = false;
        clear(answer);
        answer.append(el('h2', {}, 'Answer'), el('p', { class: 'answer-text' }, s.answer));
      }
      if (s.status !== 'running' && s.reason) answer.append(el('p', { class: 'error' }, s.reason));
    } catch (err) {
      showError(header, err);
    }
  };

  const renderApprovals = async () => {
    try {
      const list = await api.approvals(id);
      replacePending(approvals, list.map((a) => approvalCard(a, me, () => void renderApprovals())));
    } catch (err) {
      showError(approvals, err);
    }
  };

  const onEvent = (e: WardEvent) => {
    const step = typeof e.step === 'number' ? `step ${e.step}` : '';
    switch (e.type) {
      case 'session_started':
        term.write(terminalText(`\x1b[2m# ${String(e.task)} (${String(e.model)})\x1b[0m\n`));
        break;
      case 'model_turn':
        if (e.content)
          timeline.append(el('div', { class: 'turn' }, el('h3', {}, step + ' · model'), el('p', { class: 'reply' }, String(e.content))));
        break;
      case 'action_proposed':
        timeline.append(el('div', { class: 'action' }, el('h3', {}, step + ' · code'), codeBlock(String(e.code))));
        term.write(terminalText(`\x1b[36m$ ${step}: running code\x1b[0m\n`));
        break;
      case 'binding_call':
        term.write(terminalText(`\x1b[33m→ ${String(e.name)}: ${String(e.outcome)}\x1b[0m\n`));
        timeline.append(el('p', { class: 'call' }, `${String(e.name)} → ${String(e.outcome)}`));
        void renderApprovals();
        break;
      case 'observation': {
        const text = String(e.text ?? '');
        term.write(terminalText(text + (text.endsWith('\n') ? '' : '\n')));
        timeline.append(el('pre', { class: 'observation ' + String(e.kind) }, text));
        break;
      }
      case 'approval_requested':
      case 'approval_decided':
        void renderApprovals();
        break;
      case 'finished':
        term.write(terminalText(`\x1b[1m■ ${String(e.status)}\x1b[0m\n`));
        source?.close();
        void renderHeader();
        void renderApprovals();
        break;
    }
  };

  const connect = () => {
    source = new EventSource('/api/v1/sessions/' + encodeURIComponent(id) + '/stream');
    source.onmessage = (m) => {
      try {
        onEvent(JSON.parse(m.data) as WardEvent);
      } catch {
        /* a malformed event is skipped */
      }
    };
  };

  void renderHeader();
  void renderApprovals();
  connect();
  const poll = window.setInterval(() => {
    if (!closed) {
      void renderApprovals();
      void renderHeader();
    }
  }, 3000);
  return () => {
    closed = true;
    source?.close();
    window.clearInterval(poll);
    window.removeEventListener('resize', fit);
    term.dispose();
  };
}
