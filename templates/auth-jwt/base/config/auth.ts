import { createHash, createSecretKey, type KeyObject } from 'node:crypto';
import dotenv from 'dotenv';

// Values already set in the environment win over .env (dotenv never overrides them).
dotenv.config({ quiet: true });

export type Env = Readonly<Record<string, string | undefined>>;

export interface VerificationKey {
  readonly key: KeyObject;
  /** The previous secret stops verifying at this time; null for the current one. */
  readonly acceptedUntil: Date | null;
}

export type RefreshTokenTransport = 'body' | 'cookie';

export interface RateLimitConfig {
  /** false turns every limiter off (tests, benchmarks). */
  readonly enabled: boolean;
  readonly windowSeconds: number;
  /** Failed logins per client IP per window (successful ones do not count). */
  readonly loginPerIp: number;
  /** Failed logins per account (normalized email) per window, from any IP. */
  readonly loginPerAccount: number;
  readonly registerPerIp: number;
  readonly refreshPerIp: number;
}

export interface AuthConfig {
  /** HMAC key for HS256, built once: jsonwebtoken is ~40x slower with a string secret. */
  readonly jwtKey: KeyObject;
  /** `kid` of tokens signed with jwtKey: derived from the secret, so it changes when the secret does. */
  readonly jwtKeyId: string;
  /** Every key a token may be verified with, by `kid`: the current one and JWT_SECRET_PREVIOUS. */
  readonly verificationKeys: ReadonlyMap<string, VerificationKey>;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  /** How long a just-rotated refresh token still counts as a concurrent refresh, not theft. */
  readonly refreshReuseGraceSeconds: number;
  readonly issuer: string;
  readonly audience: string;
  readonly bcryptCost: number;
  readonly passwordMinLength: number;
  readonly refreshTokenTransport: RefreshTokenTransport;
  /** Origins allowed to send cookie-authenticated requests (cookie transport only). */
  readonly allowedOrigins: readonly string[];
  readonly rateLimit: RateLimitConfig;
  /** How long a user's token version and role are reused before the store is asked again; 0 = never cached. */
  readonly userCacheTtlSeconds: number;
  readonly logEvents: boolean;
}

/** A missing or invalid setting. The message names the variable, never its value. */
export class AuthConfigError extends Error {
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(message);
    this.name = 'AuthConfigError';
    this.variable = variable;
  }
}

const MIN_SECRET_BYTES = 32; // RFC 7518 §3.2: an HS256 key must be at least 256 bits.
const MIN_SECRET_DISTINCT_CHARS = 10;

// Compared after lower-casing and dropping everything but letters and digits,
// so `your-jwt-secret`, `YOUR_JWT_SECRET` and `change_me_please...` all match.
const PLACEHOLDER_FRAGMENTS = [
  'changeme',
  'changethis',
  'replaceme',
  'yoursecret',
  'yourjwtsecret',
  'yoursupersecret',
  'supersecret',
  'jwtsecret',
  'secretkey',
  'placeholder',
];

const DURATION_PATTERN = /^(\d+)([smhd])?$/;
// A token's expiry is checked with this much tolerance for clocks that disagree between machines.
const CLOCK_SKEW_SECONDS = 60;

export function loadAuthConfig(env: Env, now: Date = new Date()): AuthConfig {
  const current = readJwtSecret(env, 'JWT_SECRET');
  const accessTokenTtlSeconds = readDuration(env, 'JWT_EXPIRES_IN', '15m', { max: '7d' });
  const jwtKeyId = keyIdOf(current);
  const verificationKeys = new Map<string, VerificationKey>([[jwtKeyId, { key: toKey(current), acceptedUntil: null }]]);
  const previous = readPreviousSecret(env);
  if (previous !== undefined && !verificationKeys.has(keyIdOf(previous))) {
    const acceptedUntil = readPreviousKeyExpiry(env, now, accessTokenTtlSeconds);
    verificationKeys.set(keyIdOf(previous), { key: toKey(previous), acceptedUntil });
  }
  return Object.freeze({
    jwtKey: toKey(current),
    jwtKeyId,
    verificationKeys,
    accessTokenTtlSeconds,
    refreshTokenTtlSeconds: readDuration(env, 'REFRESH_EXPIRES_IN', '30d', { max: '365d' }),
    refreshReuseGraceSeconds: readDuration(env, 'REFRESH_REUSE_GRACE', '10s', { allowZero: true, max: '5m' }),
    issuer: readString(env, 'JWT_ISSUER', 'backternity'),
    audience: readString(env, 'JWT_AUDIENCE', 'backternity-api'),
    bcryptCost: readInteger(env, 'BCRYPT_COST', 12, { min: 10, max: 15 }),
    // 64 is the ceiling because bcrypt only accepts up to 72 bytes.
    passwordMinLength: readInteger(env, 'PASSWORD_MIN_LENGTH', 12, { min: 8, max: 64 }),
    refreshTokenTransport: readTransport(env),
    allowedOrigins: readOrigins(env, 'AUTH_ALLOWED_ORIGINS'),
    rateLimit: Object.freeze({
      enabled: readBoolean(env, 'RATE_LIMIT_ENABLED', true),
      windowSeconds: readDuration(env, 'RATE_LIMIT_WINDOW', '10m', { max: '1d' }),
      loginPerIp: readInteger(env, 'RATE_LIMIT_LOGIN_IP', 10, { min: 1, max: 1_000_000 }),
      loginPerAccount: readInteger(env, 'RATE_LIMIT_LOGIN_ACCOUNT', 10, { min: 1, max: 1_000_000 }),
      registerPerIp: readInteger(env, 'RATE_LIMIT_REGISTER_IP', 10, { min: 1, max: 1_000_000 }),
      refreshPerIp: readInteger(env, 'RATE_LIMIT_REFRESH_IP', 60, { min: 1, max: 1_000_000 }),
    }),
    userCacheTtlSeconds: readDuration(env, 'AUTH_USER_CACHE_TTL', '5s', { allowZero: true, max: '1h' }),
    logEvents: readBoolean(env, 'AUTH_LOG_EVENTS', true),
  });
}

/** First 16 hex characters of SHA-256(secret): names the key without revealing anything about it. */
function keyIdOf(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 16);
}

function toKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'));
}

/**
 * Reads a setting that belongs to one store (MONGODB_URI, DATABASE_URL, ...).
 * Store modules call it so only the chosen store's variable is required.
 */
export function readStoreSetting(name: string, fallback?: string, env: Env = process.env): string {
  const value = env[name]?.trim();
  if (value) return value;
  if (fallback !== undefined) return fallback;
  throw new AuthConfigError(name, `${name} is required (set it in the environment or in .env)`);
}

const GENERATE_HINT = 'Generate one with: openssl rand -base64 48';

function readJwtSecret(env: Env, name: string): string {
  const secret = env[name] ?? '';
  if (secret.trim() === '') {
    throw new AuthConfigError(name, `${name} is required. ${GENERATE_HINT}`);
  }
  // Before the length check: `CHANGE_ME` is short too, but "placeholder" tells the user what happened.
  if (looksLikePlaceholder(secret)) {
    throw new AuthConfigError(name, `${name} still holds a placeholder value. ${GENERATE_HINT}`);
  }
  if (Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) {
    throw new AuthConfigError(name, `${name} must be at least ${MIN_SECRET_BYTES} bytes. ${GENERATE_HINT}`);
  }
  if (new Set(secret).size < MIN_SECRET_DISTINCT_CHARS) {
    throw new AuthConfigError(name, `${name} is too predictable (too few distinct characters). ${GENERATE_HINT}`);
  }
  return secret;
}

/** Optional; checked like JWT_SECRET, since it still verifies tokens for a while. */
function readPreviousSecret(env: Env): string | undefined {
  if (!env['JWT_SECRET_PREVIOUS']?.trim()) return undefined;
  return readJwtSecret(env, 'JWT_SECRET_PREVIOUS');
}

function looksLikePlaceholder(secret: string): boolean {
  const letters = secret.toLowerCase().replace(/[^a-z0-9]/g, '');
  return PLACEHOLDER_FRAGMENTS.some((fragment) => letters.includes(fragment));
}

/**
 * Digits only means seconds; otherwise `<n>s`, `<n>m`, `<n>h` or `<n>d`. `max` keeps out values that
 * would break something quietly (timers overflow past 24.8 days, dates past year 275760) or that no
 * secure setting needs.
 */
function readDuration(env: Env, name: string, fallback: string, options: { allowZero?: boolean; max: string }): number {
  const seconds = parseDuration(env[name]?.trim() || fallback);
  const smallest = options.allowZero ? 0 : 1;
  if (!Number.isSafeInteger(seconds) || seconds < smallest) {
    throw new AuthConfigError(
      name,
      `${name} must be a ${options.allowZero ? 'duration' : 'positive duration'}: seconds (e.g. 900) or a number with s, m, h or d (e.g. 15m, 30d)`,
    );
  }
  if (seconds > parseDuration(options.max)) throw new AuthConfigError(name, `${name} must be at most ${options.max}`);
  return seconds;
}

function parseDuration(raw: string): number {
  const match = DURATION_PATTERN.exec(raw);
  return match ? Number(match[1]) * secondsPerUnit(match[2]) : NaN;
}

/**
 * Until when JWT_SECRET_PREVIOUS still verifies tokens: required, and at most one access token lifetime
 * away. A default counted from start-up would start again at every restart, keeping an old key alive for
 * as long as instances keep restarting.
 */
function readPreviousKeyExpiry(env: Env, now: Date, accessTokenTtlSeconds: number): Date {
  const name = 'JWT_SECRET_PREVIOUS_EXPIRES_AT';
  const latest = addSeconds(now, accessTokenTtlSeconds + CLOCK_SKEW_SECONDS);
  if (!env[name]?.trim()) {
    throw new AuthConfigError(
      name,
      `JWT_SECRET_PREVIOUS needs ${name}: when the last token signed with it expires, e.g. ${addSeconds(now, accessTokenTtlSeconds).toISOString()} (now + JWT_EXPIRES_IN)`,
    );
  }
  const expiresAt = readTimestamp(env, name, now);
  if (expiresAt > latest) {
    throw new AuthConfigError(name, `${name} is later than any token signed with JWT_SECRET_PREVIOUS can live (now + JWT_EXPIRES_IN)`);
  }
  return expiresAt;
}

function secondsPerUnit(unit: string | undefined): number {
  switch (unit) {
    case 'm':
      return 60;
    case 'h':
      return 3600;
    case 'd':
      return 86400;
    default:
      return 1;
  }
}

function readInteger(
  env: Env,
  name: string,
  fallback: number,
  range: { min: number; max: number },
): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= range.min && value <= range.max)) {
    throw new AuthConfigError(name, `${name} must be a whole number from ${range.min} to ${range.max}`);
  }
  return value;
}

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new AuthConfigError(name, `${name} must be true or false`);
}

function readTimestamp(env: Env, name: string, fallback: Date): Date {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const date = new Date(raw);
  // Requires at least a full date, so `10` or `tomorrow` is refused instead of parsed loosely.
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(date.getTime())) {
    throw new AuthConfigError(name, `${name} must be an ISO 8601 timestamp, e.g. 2030-01-31T12:00:00Z`);
  }
  return date;
}

function readTransport(env: Env): RefreshTokenTransport {
  const raw = env['REFRESH_TOKEN_TRANSPORT']?.trim().toLowerCase() || 'body';
  if (raw === 'body' || raw === 'cookie') return raw;
  throw new AuthConfigError('REFRESH_TOKEN_TRANSPORT', 'REFRESH_TOKEN_TRANSPORT must be body or cookie');
}

/** Comma-separated exact origins (`https://app.example.com`): scheme, host and port, no path. */
function readOrigins(env: Env, name: string): string[] {
  const origins = (env[name] ?? '').split(',').map((origin) => origin.trim()).filter(Boolean);
  for (const origin of origins) {
    if (!isOrigin(origin)) {
      throw new AuthConfigError(name, `${name} must list origins like https://app.example.com, separated by commas`);
    }
  }
  return origins;
}

function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}

function readString(env: Env, name: string, fallback: string): string {
  return env[name]?.trim() || fallback;
}

function loadOrExit(): AuthConfig {
  try {
    return loadAuthConfig(process.env);
  } catch (error) {
    if (!(error instanceof AuthConfigError)) throw error;
    // Runs while modules are still being imported, so the server never starts listening.
    console.error(`[auth] ${error.message}`);
    process.exit(1);
  }
}

export const authConfig: AuthConfig = loadOrExit();
