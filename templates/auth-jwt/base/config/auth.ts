import { createSecretKey, type KeyObject } from 'node:crypto';
import dotenv from 'dotenv';

// Values already set in the environment win over .env (dotenv never overrides them).
dotenv.config({ quiet: true });

export type Env = Readonly<Record<string, string | undefined>>;

export interface AuthConfig {
  /** HMAC key for HS256, built once: jsonwebtoken is ~40x slower with a string secret. */
  readonly jwtKey: KeyObject;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  /** How long a just-rotated refresh token still counts as a concurrent refresh, not theft. */
  readonly refreshReuseGraceSeconds: number;
  readonly issuer: string;
  readonly audience: string;
  readonly bcryptCost: number;
  readonly passwordMinLength: number;
}

/** A missing or invalid setting. The message names the variable, never its value. */
export class AuthConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = 'AuthConfigError';
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

export function loadAuthConfig(env: Env): AuthConfig {
  const secret = readJwtSecret(env);
  return Object.freeze({
    jwtKey: createSecretKey(Buffer.from(secret, 'utf8')),
    accessTokenTtlSeconds: readDuration(env, 'JWT_EXPIRES_IN', '15m'),
    refreshTokenTtlSeconds: readDuration(env, 'REFRESH_EXPIRES_IN', '30d'),
    refreshReuseGraceSeconds: readDuration(env, 'REFRESH_REUSE_GRACE', '10s', { allowZero: true }),
    issuer: readString(env, 'JWT_ISSUER', 'backternity'),
    audience: readString(env, 'JWT_AUDIENCE', 'backternity-api'),
    bcryptCost: readInteger(env, 'BCRYPT_COST', 12, { min: 10, max: 15 }),
    // 64 is the ceiling because bcrypt only accepts up to 72 bytes.
    passwordMinLength: readInteger(env, 'PASSWORD_MIN_LENGTH', 12, { min: 8, max: 64 }),
  });
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

function readJwtSecret(env: Env): string {
  const secret = env.JWT_SECRET ?? '';
  if (secret.trim() === '') {
    throw new AuthConfigError(
      'JWT_SECRET',
      'JWT_SECRET is required. Generate one with: openssl rand -base64 48',
    );
  }
  if (Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) {
    throw new AuthConfigError(
      'JWT_SECRET',
      `JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes. Generate one with: openssl rand -base64 48`,
    );
  }
  if (looksLikePlaceholder(secret)) {
    throw new AuthConfigError(
      'JWT_SECRET',
      'JWT_SECRET still holds a placeholder value. Generate one with: openssl rand -base64 48',
    );
  }
  if (new Set(secret).size < MIN_SECRET_DISTINCT_CHARS) {
    throw new AuthConfigError(
      'JWT_SECRET',
      'JWT_SECRET is too predictable (too few distinct characters). Generate one with: openssl rand -base64 48',
    );
  }
  return secret;
}

function looksLikePlaceholder(secret: string): boolean {
  const letters = secret.toLowerCase().replace(/[^a-z0-9]/g, '');
  return PLACEHOLDER_FRAGMENTS.some((fragment) => letters.includes(fragment));
}

/** Digits only means seconds; otherwise `<n>s`, `<n>m`, `<n>h` or `<n>d`. */
function readDuration(env: Env, name: string, fallback: string, options = { allowZero: false }): number {
  const raw = env[name]?.trim() || fallback;
  const match = DURATION_PATTERN.exec(raw);
  const seconds = match ? Number(match[1]) * secondsPerUnit(match[2]) : NaN;
  const smallest = options.allowZero ? 0 : 1;
  if (!Number.isSafeInteger(seconds) || seconds < smallest) {
    throw new AuthConfigError(
      name,
      `${name} must be a ${options.allowZero ? 'duration' : 'positive duration'}: seconds (e.g. 900) or a number with s, m, h or d (e.g. 15m, 30d)`,
    );
  }
  return seconds;
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
