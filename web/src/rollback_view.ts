// The outcome of rolling a session's writes back: one line saying whether every
// write was undone, and each step (resource, what was done, outcome, detail), in
// the order they were taken (newest write first).
import type { RollbackReport } from './api';
import { el } from './dom';

function summary(r: RollbackReport): string {
  const undone = r.steps.filter((s) => s.outcome === 'undone').length;
  if (r.stopped) {
    return 'Rollback stopped: someone else changed a resource since, or a step failed. ' +
      'Nothing after that step was changed.';
  }
  if (!r.complete) {
    return 'Rolled back what could be undone; the writes marked irreversible cannot be ' +
      'undone by ward and are still in place.';
  }
  if (r.steps.length === 0) return 'Nothing to roll back: no writes are left to undo.';
  return `Rolled back: ${undone} of ${r.steps.length} writes undone` +
    (undone < r.steps.length ? ' (the rest were already undone).' : '.');
}

export function rollbackReport(r: RollbackReport): HTMLElement {
  const steps = el('ol', { class: 'rollback-steps' });
  for (const s of r.steps) {
    steps.append(
      el('li', { 'data-outcome': s.outcome },
        el('span', { class: 'resource' }, s.target || s.resource),
        ` ${s.operation} → ${s.action}: `,
        el('strong', { class: 'outcome' }, s.outcome),
        el('p', { class: 'meta' }, s.detail),
      ),
    );
  }
  return el('section',
    { class: 'card rollback', 'data-complete': String(r.complete), 'aria-label': 'Rollback' },
    el('h2', {}, 'Rollback'),
    el('p', { class: 'rollback-summary', role: 'status' }, summary(r)),
    r.steps.length ? steps : '',
  );
}
