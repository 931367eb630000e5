import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AuthError, type User } from '../services/authService.js';
import { connectAuth, connectedAuth } from '../services/auth.js';
import { sendError } from '../utils/response.js';

/** The signed-in user, as verified for this request. */
export interface AuthUser {
  id: string;
  email: string;
  role: string;
  tokenVersion: number;
  createdAt: Date;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      user?: AuthUser;
    }
  }
}

const REALM = 'Bearer realm="api"';
// RFC 6750 §2.1: the scheme is case-insensitive, the token is a b64token.
const BEARER_PATTERN = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

type BearerCredentials =
  | { kind: 'none' }
  | { kind: 'malformed' }
  | { kind: 'token'; token: string };

/** Reads `Authorization: Bearer <token>`. Other schemes count as no credentials. */
export function readBearerToken(req: Request): BearerCredentials {
  const header = req.headers.authorization;
  if (!header || !/^bearer(\s|$)/i.test(header)) return { kind: 'none' };
  const token = BEARER_PATTERN.exec(header.trim())?.[1];
  return token ? { kind: 'token', token } : { kind: 'malformed' };
}

/** Requires a valid access token and sets `req.user`. */
export const validateAuth: RequestHandler = (req, res, next) => {
  const credentials = readBearerToken(req);
  if (credentials.kind === 'none') {
    // A token in the URL is never read: URLs end up in logs and browser history.
    rejectUnauthenticated(res);
    return;
  }
  // RFC 6750 §3.1: more than one way of sending the token is an invalid request.
  if (hasQueryToken(req) || hasBodyToken(req)) {
    res.set('WWW-Authenticate', `${REALM}, error="invalid_request"`);
    sendError(res, 400, 'invalid_request', 'Send the access token only in the Authorization header');
    return;
  }
  if (credentials.kind === 'malformed') {
    rejectInvalidToken(res, new AuthError(401, 'invalid_token', 'The token is invalid'));
    return;
  }
  // Most requests repeat a token whose checks are all in memory: answer those without a promise.
  const cached = connectedAuth()?.verifyCachedAccessToken(credentials.token);
  if (cached) {
    req.user = toAuthUser(cached.user);
    next();
    return;
  }
  // Handled with then/catch so no rejection escapes: Express 4 does not catch async errors.
  connectAuth()
    .then((auth) => auth.verifyAccessToken(credentials.token))
    .then(
      ({ user }) => {
        req.user = toAuthUser(user);
        next();
      },
      (error: unknown) => {
        if (error instanceof AuthError) {
          rejectInvalidToken(res, error);
          return;
        }
        console.error('[auth] could not verify an access token:', describeError(error));
        sendError(res, 503, 'service_unavailable', 'Authentication is temporarily unavailable');
      },
    );
};

/**
 * Allows the request only if `req.user` has one of the roles: `app.get('/admin', validateAuth, requireRole('admin'), ...)`.
 * Roles are set in the database only; nothing a client sends can change one.
 */
export function requireRole(...roles: string[]): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!req.user) {
      rejectUnauthenticated(res);
      return;
    }
    if (!roles.includes(req.user.role)) {
      res.set('WWW-Authenticate', `${REALM}, error="insufficient_scope"`);
      sendError(res, 403, 'insufficient_role', 'You do not have permission to do this');
      return;
    }
    next();
  };
}

function toAuthUser(user: User): AuthUser {
  return { id: user.id, email: user.email, role: user.role, tokenVersion: user.tokenVersion, createdAt: user.createdAt };
}

function rejectUnauthenticated(res: Response): void {
  res.set('WWW-Authenticate', REALM);
  sendError(res, 401, 'unauthorized', 'Authentication required');
}

function rejectInvalidToken(res: Response, error: AuthError): void {
  res.set('WWW-Authenticate', `${REALM}, error="invalid_token"`);
  sendError(res, 401, error.code === 'token_expired' ? 'token_expired' : 'invalid_token', error.message);
}

function hasQueryToken(req: Request): boolean {
  return /[?&]access_token=/.test(req.originalUrl);
}

function hasBodyToken(req: Request): boolean {
  const body: unknown = req.body;
  return typeof body === 'object' && body !== null && Object.prototype.hasOwnProperty.call(body, 'access_token');
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
