import { createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { authConfig } from '../config/auth.js';
import { AuthError, normalizeEmail } from '../services/authService.js';
import { logSecurityEvent } from '../services/securityLog.js';
// Where the counters live: this process, or Redis when scaffolded with --redis (services/sharedState).
import { createKnownClients, createRateLimitStore } from '../services/sharedState.js';

const settings = authConfig.rateLimit;
const windowMs = settings.windowSeconds * 1000;
// An IP that signed in to an account within one session lifetime is that account's known client.
const knownClientTtlMs = authConfig.refreshTokenTtlSeconds * 1000;
const knownClients = createKnownClients();

/** Failed logins per client IP. Successful ones do not count, so a shared office NAT is not locked out. */
export const loginIpLimiter = createLimiter('login-ip', settings.loginPerIp, { failuresOnly: true });

/**
 * Failed logins per account from every IP together (credential stuffing from many addresses). The
 * answer is the same 429 for every client, and it only delays sign-in: there is no permanent lock.
 * An IP that signed in to the account successfully before is exempt (OWASP's "known client"), so an
 * attacker who fails on purpose cannot lock the owner out of their usual network; it still has the
 * per-IP limit like everyone else.
 */
export const loginAccountLimiter = createLimiter('login-account', settings.loginPerAccount, {
  failuresOnly: true,
  key: accountKey,
  exempt: async (req) => {
    const account = accountKey(req);
    return account !== undefined && (await knownClients.has(knownClientKey(account, req.ip)));
  },
});

/** Failed password changes per signed-in account, from every IP together: guessing with a stolen access token. */
export const changePasswordAccountLimiter = createLimiter('password-account', settings.loginPerAccount, {
  failuresOnly: true,
  key: (req) => (req as { user?: { id: string } }).user?.id,
});

/** After a successful login: this IP is now a known client of the account. Never fails the login. */
export async function rememberKnownClient(req: Request): Promise<void> {
  const account = accountKey(req);
  if (account === undefined) return;
  await knownClients.add(knownClientKey(account, req.ip), knownClientTtlMs).catch(() => undefined);
}

export const registerIpLimiter = createLimiter('register-ip', settings.registerPerIp);
export const refreshIpLimiter = createLimiter('refresh-ip', settings.refreshPerIp);

interface LimiterOptions {
  failuresOnly?: boolean;
  /** The counter key; by default the client IP (`req.ip`, which the app's `trust proxy` setting decides). */
  key?: (req: Request) => string | undefined;
  /** Requests this limiter neither counts nor stops. */
  exempt?: (req: Request) => Promise<boolean>;
}

function createLimiter(name: string, limit: number, options: LimiterOptions = {}): RequestHandler {
  if (!settings.enabled) return (_req: Request, _res: Response, next: NextFunction) => next();
  const { key, exempt } = options;
  const limiter = rateLimit({
    windowMs,
    limit,
    store: createRateLimitStore(name),
    skipSuccessfulRequests: options.failuresOnly ?? false,
    // Retry-After is set below; no RateLimit-* headers, which would show attackers the remaining budget.
    standardHeaders: false,
    legacyHeaders: false,
    ...(key ? { keyGenerator: (req) => key(req as unknown as Request) ?? '' } : {}),
    skip: async (req) => {
      const request = req as unknown as Request;
      if (key && key(request) === undefined) return true;
      return exempt ? exempt(request) : false;
    },
    handler: (req, res, next) => {
      // express-rate-limit leaves the counter on `req.rateLimit`.
      const { rateLimit: info } = req as { rateLimit?: { resetTime?: Date } };
      res.setHeader('Retry-After', String(retryAfterSeconds(info?.resetTime)));
      logSecurityEvent({ event: 'rate_limited', userId: null, client: { ip: req.ip, userAgent: req.get('user-agent') } });
      // The router's error handler answers with the usual JSON envelope.
      next(new AuthError(429, 'rate_limited', 'Too many attempts. Try again later.'));
    },
  });
  // express-rate-limit is typed with the @types/express it resolves itself, which in a workspace can be
  // another copy (even another major) than the app's. At run time it is the same request and response.
  return limiter as unknown as RequestHandler;
}

function retryAfterSeconds(resetTime: Date | undefined): number {
  const seconds = resetTime ? Math.ceil((resetTime.getTime() - Date.now()) / 1000) : windowMs / 1000;
  return Math.max(1, seconds);
}

function knownClientKey(account: string, ip: string | undefined): string {
  return createHash('sha256').update(`${account}:${ip ?? ''}`).digest('base64url');
}

/** The normalized email, hashed so a shared store (Redis) never holds addresses in clear. */
function accountKey(req: Request): string | undefined {
  const email: unknown = (req.body as { email?: unknown } | undefined)?.email;
  if (typeof email !== 'string') return undefined; // the body schema answers 400 next
  return createHash('sha256').update(normalizeEmail(email)).digest('base64url');
}
