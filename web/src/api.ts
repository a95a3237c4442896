// The ward API from the browser: same-origin fetch with the session cookie, and
// the CSRF token echoed on every state change.

export type Role = 'viewer' | 'approver' | 'admin';

export interface Me {
  user: string;
  role: Role;
  csrf?: string;
}

export interface Session {
  id: string;
  task: string;
  model: string;
  mode: string;
  actor: string;
  status: string;
  created: string;
  updated: string;
  answer: string;
  reason: string;
  steps: number;
  input_tokens: number;
  output_tokens: number;
}

export interface Approval {
  id: string;
  session: string;
  hash: string;
  action: unknown;
  summary: string;
  rule: string;
  approvers: string;
  requested_by: string;
  created: string;
  expires: string;
  expires_ms: number;
  state: string;
  decided_by?: string;
  reason?: string;
}

export interface WardEvent {
  type: string;
  session: string;
  seq: number;
  time: string;
  [field: string]: unknown;
}

export interface AuditStatus {
  ok: boolean;
  entries: number;
  head_hash: string;
  first_bad_seq?: number;
  problem?: string;
}

// What undoing one write did (or would do): see POST /sessions/{id}/rollback.
export interface RollbackStep {
  resource: string;
  connector: string;
  target: string; // the connector and what it changed, e.g. "reporting hba1c_report {...}"
  operation: string;
  version_before: string;
  version_left: string;
  action: string;
  outcome: string;
  detail: string;
}

export interface RollbackReport {
  session: string;
  complete: boolean;
  stopped: boolean;
  dry_run: boolean;
  steps: RollbackStep[];
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public body?: unknown,
  ) {
    super(message);
  }
}

function isRollbackReport(body: unknown): body is RollbackReport {
  return typeof body === 'object' && body !== null && Array.isArray((body as RollbackReport).steps);
}

let csrfToken = '';

export function setCsrf(token: string | undefined): void {
  csrfToken = token ?? '';
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const res = await fetch('/api/v1' + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const err = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(
      res.status,
      err?.code ?? 'http_' + res.status,
      err?.message ?? res.statusText,
      parsed,
    );
  }
  return parsed as T;
}

export const api = {
  me: () => call<Me>('GET', '/me'),
  login: (user: string, password: string) => call<Me>('POST', '/login', { user, password }),
  logout: () => call<unknown>('POST', '/logout'),
  sessions: () => call<Session[]>('GET', '/sessions?limit=100'),
  session: (id: string) => call<Session>('GET', '/sessions/' + encodeURIComponent(id)),
  start: (task: string, model: string) =>
    call<{ id: string }>('POST', '/sessions', model ? { task, model } : { task }),
  cancel: (id: string) => call<unknown>('POST', '/sessions/' + encodeURIComponent(id) + '/cancel'),
  // A rollback that stopped at someone else's change answers 409 with its report.
  rollback: async (id: string): Promise<RollbackReport> => {
    try {
      return await call<RollbackReport>('POST', '/sessions/' + encodeURIComponent(id) + '/rollback');
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && isRollbackReport(err.body)) return err.body;
      throw err;
    }
  },
  approvals: (session?: string) =>
    call<Approval[]>(
      'GET',
      '/approvals?state=pending' + (session ? '&session=' + encodeURIComponent(session) : ''),
    ),
  decide: (id: string, decision: 'approve' | 'deny', hash: string, reason: string) =>
    call<Approval>('POST', '/approvals/' + encodeURIComponent(id), { decision, hash, reason }),
  audit: () => call<AuditStatus>('GET', '/audit/verify'),
};

export function canAct(me: Me): boolean {
  return me.role === 'approver' || me.role === 'admin';
}
