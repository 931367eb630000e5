import type { NextFunction, Request, Response } from 'express';
import { authConfig } from '../config/auth.js';
import { sendError } from '../utils/response.js';

/**
 * `__Host-` makes browsers refuse the cookie unless it is Secure, has Path=/ and no Domain, so no
 * subdomain can set or overwrite it. Browsers treat http://localhost as secure, so it works in development.
 */
export const REFRESH_COOKIE = '__Host-rt';

export function setRefreshCookie(res: Response, token: string, expiresAt: Date): void {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  res.append('Set-Cookie', `${REFRESH_COOKIE}=${token}; Path=/; Max-Age=${maxAge}; HttpOnly; Secure; SameSite=Strict`);
}

export function clearRefreshCookie(res: Response): void {
  res.append('Set-Cookie', `${REFRESH_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict`);
}

/** The refresh token from the Cookie header (no cookie-parser needed), or undefined. */
export function readRefreshCookie(req: Request): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const separator = part.indexOf('=');
    if (separator !== -1 && part.slice(0, separator).trim() === REFRESH_COOKIE) {
      return part.slice(separator + 1).trim() || undefined;
    }
  }
  return undefined;
}

/**
 * CSRF defence for requests the browser authenticates with the cookie: SameSite=Strict already keeps
 * other sites' requests from carrying it; on top, the request must come from an allowed origin
 * (AUTH_ALLOWED_ORIGINS) or, without an Origin header, say it is same-origin (Sec-Fetch-Site).
 */
export function requireAllowedOrigin(req: Request, res: Response, next: NextFunction): void {
  const origin = req.get('origin');
  const allowed = origin
    ? authConfig.allowedOrigins.includes(origin)
    : req.get('sec-fetch-site') === 'same-origin';
  if (!allowed) {
    sendError(res, 403, 'forbidden_origin', 'This request must come from an allowed origin');
    return;
  }
  next();
}
