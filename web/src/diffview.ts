// Renders the change an action would make: a file diff through diff2html, or a
// readable JSON diff for FHIR resources (jsondiff.ts).
import { createTwoFilesPatch } from 'diff';
import { html as diffHtml } from 'diff2html';
import { el } from './dom';
import { diffJson, show } from './jsondiff';

interface Change {
  before?: unknown;
  after?: unknown;
  path?: string;
  resourceType?: string;
}

function fileDiff(path: string, before: string, after: string): HTMLElement {
  const patch = createTwoFilesPatch(path, path, before, after, '', '', { context: 3 });
  const box = el('div', { class: 'file-diff' });
  // diff2html escapes the file contents it renders.
  box.innerHTML = diffHtml(patch, { drawFileList: false, outputFormat: 'line-by-line' });
  return box;
}

function jsonDiff(before: unknown, after: unknown): HTMLElement {
  const changes = diffJson(before, after);
  const list = el('ul', { class: 'json-diff' });
  if (changes.length === 0) list.append(el('li', { class: 'same' }, 'no changes'));
  for (const c of changes) {
    const row = el('li', { class: c.kind }, el('code', { class: 'path' }, c.path), ' ');
    if (c.kind === 'added') row.append(el('span', { class: 'new' }, '+ ' + show(c.after)));
    else if (c.kind === 'removed') row.append(el('span', { class: 'old' }, '− ' + show(c.before)));
    else
      row.append(
        el('span', { class: 'old' }, show(c.before)),
        ' → ',
        el('span', { class: 'new' }, show(c.after)),
      );
    list.append(row);
  }
  return list;
}

// The action's diff when it carries before/after, else its JSON, pretty-printed.
export function actionView(action: unknown): HTMLElement {
  const a = (action ?? {}) as Record<string, unknown>;
  const change = ((a.change ?? a) as Change) || {};
  if ('before' in change || 'after' in change) {
    const { before, after } = change;
    if (typeof before === 'string' || typeof after === 'string')
      return fileDiff(String(change.path ?? a.path ?? 'file'), String(before ?? ''), String(after ?? ''));
    return jsonDiff(before ?? {}, after ?? {});
  }
  return el('pre', { class: 'json' }, JSON.stringify(action, null, 2));
}
