import { authConfig } from '../config/auth.js';

export type SecurityEventName =
  | 'login_succeeded'
  | 'login_failed'
  | 'refresh'
  | 'refresh_concurrent'
  | 'refresh_token_reuse'
  | 'logout'
  | 'logout_all'
  | 'password_changed'
  | 'password_change_failed'
  | 'rate_limited';

/**
 * Who sent the request. Filled in by the routes from `req.ip` (the app's `trust proxy` decides it) and the
 * User-Agent header, either of which may be missing.
 */
export interface ClientInfo {
  ip?: string | undefined;
  userAgent?: string | undefined;
}

/** Never carries a password, a token or a secret: only ids. */
export interface SecurityEvent {
  event: SecurityEventName;
  userId: string | null;
  familyId?: string;
  client?: ClientInfo;
}

const WARNINGS: ReadonlySet<SecurityEventName> = new Set([
  'login_failed',
  'refresh_token_reuse',
  'password_change_failed',
  'rate_limited',
]);
const USER_AGENT_MAX_LENGTH = 256;

/**
 * One JSON line per event on stdout, for the app's log collector. JSON.stringify escapes quotes and
 * C0 control characters, so a crafted User-Agent cannot forge extra log lines; the C1 controls, DEL and
 * the Unicode line separators it leaves as they are are escaped too (terminals and some log viewers act
 * on them).
 */
export function logSecurityEvent(event: SecurityEvent): void {
  if (!authConfig.logEvents) return;
  const line = {
    level: WARNINGS.has(event.event) ? 'warn' : 'info',
    source: 'auth',
    event: event.event,
    userId: event.userId,
    ...(event.familyId ? { familyId: event.familyId } : {}),
    ip: event.client?.ip ?? null,
    userAgent: event.client?.userAgent?.slice(0, USER_AGENT_MAX_LENGTH) ?? null,
    time: new Date().toISOString(),
  };
  process.stdout.write(`${JSON.stringify(line).replace(UNSAFE_IN_LOGS, escapeCharacter)}\n`);
}

const UNSAFE_IN_LOGS = /[\u007f-\u009f\u2028\u2029]/g;

function escapeCharacter(character: string): string {
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
}
