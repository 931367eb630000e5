import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { authConfig } from '../config/auth.js';
import { readBearerToken, validateAuth } from '../middleware/auth.js';
import {
  changePasswordAccountLimiter,
  loginAccountLimiter,
  loginIpLimiter,
  refreshIpLimiter,
  registerIpLimiter,
  rememberKnownClient,
} from '../middleware/rateLimit.js';
import {
  clearRefreshCookie,
  readRefreshCookie,
  requireAllowedOrigin,
  setRefreshCookie,
} from '../middleware/refreshCookie.js';
import { connectAuth } from '../services/auth.js';
import { AuthError, type AuthSession, type AuthTokens, type PublicUser } from '../services/authService.js';
import type { ClientInfo } from '../services/securityLog.js';
import { jsonErrorHandler, sendError, sendSuccess } from '../utils/response.js';

// Connect at start-up, not on the first request: a wrong connection setting stops the app
// right away with a message naming the variable. Handlers await this same promise.
connectAuth().catch((error: unknown) => {
  console.error(`[auth] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

// Shapes only; password rules and email normalization live in the service.
// No email holds control characters (a NUL is not even storable in PostgreSQL), invisible format characters
// (zero-width space, right-to-left override: look-alike accounts) or lone surrogates (not encodable: two
// different ones would be stored as the same U+FFFD).
const UNSAFE_IN_EMAIL = /[\p{Cc}\p{Cf}\p{Cs}]/u;
const LONE_SURROGATE = /\p{Cs}/u;
const email = z
  .string()
  .min(1)
  .max(254)
  .refine((value) => !UNSAFE_IN_EMAIL.test(value), 'email must not contain control or invisible characters');
const password = z
  .string()
  .min(1)
  .max(1024)
  .refine((value) => !LONE_SURROGATE.test(value), 'password must be valid Unicode text');

const credentialsSchema = z.object({ email, password }).strict();

const refreshTokenSchema = z
  .object({
    refreshToken: z.string().min(1).max(512),
  })
  .strict();

// Cookie transport: the refresh token comes from the cookie, and a body may not carry one.
const emptySchema = z.object({}).strict();

const changePasswordSchema = z.object({ currentPassword: password, newPassword: password }).strict();

const BODY_LIMIT_BYTES = 10 * 1024;
/** REFRESH_TOKEN_TRANSPORT=cookie: the refresh token travels in an HttpOnly cookie, never in JSON. */
const useCookie = authConfig.refreshTokenTransport === 'cookie';
/** In cookie mode, requests the cookie authenticates must come from an allowed origin (CSRF). */
const cookieOriginCheck: RequestHandler = useCookie ? requireAllowedOrigin : (_req, _res, next) => next();

export const authRouter = express.Router();

authRouter.use(noStore);
authRouter.use(checkBody);
// Its own parser, so the routes work whether or not the app parses JSON (Express 5 leaves
// req.body undefined without one). It skips bodies the app's parser already read.
authRouter.use(express.json({ limit: BODY_LIMIT_BYTES }));

authRouter.post(
  '/register',
  registerIpLimiter,
  handle(async (req, res) => {
    const input = parseBody(credentialsSchema, req.body);
    const session = await (await connectAuth()).register(input);
    await rememberKnownClient(req);
    sendSession(res, 201, 'Account created', session);
  }),
);

authRouter.post(
  '/login',
  loginIpLimiter,
  loginAccountLimiter,
  handle(async (req, res) => {
    const input = parseBody(credentialsSchema, req.body);
    const session = await (await connectAuth()).login(input, clientOf(req));
    await rememberKnownClient(req);
    sendSession(res, 200, 'Logged in', session);
  }),
);

authRouter.get(
  '/me',
  validateAuth,
  (req: Request, res: Response) => {
    // validateAuth has just verified the user (and its token version): no second lookup.
    sendSuccess(res, 200, 'Current user', { user: signedInUser(req) });
  },
);

authRouter.post(
  '/refresh',
  refreshIpLimiter,
  cookieOriginCheck,
  handle(async (req, res) => {
    const refreshToken = readRefreshToken(req);
    if (refreshToken === undefined) throw new AuthError(401, 'invalid_token', 'The refresh token is missing');
    const session = await (await connectAuth()).refresh(refreshToken, clientOf(req));
    sendSession(res, 200, 'Tokens refreshed', session);
  }),
);

authRouter.post(
  '/logout',
  cookieOriginCheck,
  handle(async (req, res) => {
    const refreshToken = readRefreshToken(req);
    const bearer = readBearerToken(req);
    const accessToken = bearer.kind === 'token' ? bearer.token : undefined;
    await (await connectAuth()).logout(refreshToken, accessToken, clientOf(req));
    if (useCookie) clearRefreshCookie(res);
    sendSuccess(res, 200, 'Logged out', null);
  }),
);

authRouter.post(
  '/logout-all',
  validateAuth,
  handle(async (req, res) => {
    await (await connectAuth()).logoutAll(signedInUser(req).id, clientOf(req));
    if (useCookie) clearRefreshCookie(res);
    sendSuccess(res, 200, 'Logged out on all devices', null);
  }),
);

authRouter.post(
  '/change-password',
  validateAuth,
  // Guessing the current password with a stolen access token counts like failed logins, per IP and per account.
  loginIpLimiter,
  changePasswordAccountLimiter,
  handle(async (req, res) => {
    const input = parseBody(changePasswordSchema, req.body);
    const session = await (await connectAuth()).changePassword(signedInUser(req).id, input, clientOf(req));
    sendSession(res, 200, 'Password changed', session);
  }),
);

authRouter.use(handleRouteError, jsonErrorHandler);

/** Wraps an async handler so its errors reach the error handler on Express 4 too. */
function handle(handler: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req, res, next) => {
    handler(req, res).catch(next);
  };
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    throw new AuthError(400, 'invalid_request', describeIssue(result.error.issues[0]));
  }
  return result.data;
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'The request body is invalid';
  const field = issue.path.join('.');
  return field ? `${field}: ${issue.message}` : issue.message;
}

type SessionData = Omit<AuthTokens, 'refresh'> & { refresh?: string; user: PublicUser };

/**
 * Field by field, so whatever AuthSession gains later does not leak into responses. In cookie mode the
 * refresh token goes into the HttpOnly cookie only, out of reach of page scripts.
 */
function sendSession(res: Response, status: number, message: string, session: AuthSession): void {
  const data: SessionData = { token: session.token, expiresIn: session.expiresIn, user: session.user };
  if (useCookie) setRefreshCookie(res, session.refresh, session.refreshExpiresAt);
  else data.refresh = session.refresh;
  sendSuccess(res, status, message, data);
}

/** From the body, or in cookie mode from the cookie (then the body must be empty). */
function readRefreshToken(req: Request): string | undefined {
  if (!useCookie) return parseBody(refreshTokenSchema, req.body).refreshToken;
  parseBody(emptySchema, req.body ?? {});
  return readRefreshCookie(req);
}

function signedInUser(req: Request): PublicUser {
  if (!req.user) throw new AuthError(401, 'invalid_token', 'The token is invalid');
  const { id, email, role, createdAt } = req.user;
  return { id, email, role, createdAt: createdAt.toISOString() };
}

/** For security log lines. `req.ip` follows the app's `trust proxy` setting. */
function clientOf(req: Request): ClientInfo {
  return { ip: req.ip, userAgent: req.get('user-agent') };
}

/** Tokens and user data must never be cached by browsers or proxies (RFC 6749 §5.1). */
function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.set('Cache-Control', 'no-store');
  res.set('Pragma', 'no-cache');
  next();
}

/**
 * Runs before the JSON parser. The size check also holds when the host app parsed the body
 * already with its own (usually 100 kB) limit.
 */
function checkBody(req: Request, res: Response, next: NextFunction): void {
  if (req.method !== 'POST') {
    next();
    return;
  }
  const length = Number(req.headers['content-length'] ?? 0);
  if (length > BODY_LIMIT_BYTES) {
    sendError(res, 413, 'payload_too_large', 'The request body is too large');
    return;
  }
  // An empty body is let through: validation then reports the missing fields.
  const hasBody = length > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && !req.is('application/json')) {
    sendError(res, 415, 'unsupported_media_type', 'Content-Type must be application/json');
    return;
  }
  next();
}

function handleRouteError(error: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) {
    next(error);
    return;
  }
  if (error instanceof AuthError) {
    sendError(res, error.status, error.code, error.message);
    return;
  }
  if (isBodyParserError(error)) {
    next(error);
    return;
  }
  // Anything else comes from the store (database down, timeout...). Log it, never send it.
  console.error('[auth] store error:', error instanceof Error ? `${error.name}: ${error.message}` : error);
  sendError(res, 503, 'service_unavailable', 'Authentication is temporarily unavailable');
}

/**
 * Mount it right after the router: `app.use('/api/auth', authRouter, authErrorHandler)`. When the app's
 * own express.json() runs before the router, a malformed or oversized auth request fails in that parser
 * and never reaches the router; this answers it with the auth routes' JSON error instead of the app's
 * error page (Express's default one is HTML with a stack trace outside production).
 */
export function authErrorHandler(error: unknown, req: Request, res: Response, next: NextFunction): void {
  if (isBodyParserError(error)) {
    res.set('Cache-Control', 'no-store');
    jsonErrorHandler(error, req, res, next);
    return;
  }
  next(error);
}

/**
 * An error from express.json() (http-errors): a 4xx `status`, and a `type` (entity.parse.failed...) or, for
 * a body that fails to decompress (a bad gzip stream), only the `expose` flag. Never a store error.
 */
function isBodyParserError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { status, type, expose } = error as { status?: unknown; type?: unknown; expose?: unknown };
  return typeof status === 'number' && status >= 400 && status < 500 && (typeof type === 'string' || expose === true);
}
