import { createHash, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import jwt, { type JwtPayload } from 'jsonwebtoken';
import type { AuthConfig, VerificationKey } from '../config/auth.js';
import { checkNewPassword, exceedsBcryptLimit, PasswordHasher, type PasswordProblem } from './password.js';
import type { ClientInfo, SecurityEvent } from './securityLog.js';
import { InProcessAccessCache, TtlCache } from './ttlCache.js';

// ---- Store contracts: implement these to plug in any database ----

export interface User {
  id: string;
  email: string;
  role: string;
  /** Bumped to end every outstanding access token of the user at once. */
  tokenVersion: number;
  createdAt: Date;
}

export interface UserWithPasswordHash extends User {
  passwordHash: string;
}

export interface UserStore {
  /** Must throw DuplicateEmailError when the (already normalized) email exists. */
  create(input: { email: string; passwordHash: string }): Promise<User>;
  findByEmail(email: string): Promise<UserWithPasswordHash | null>;
  /** Returns null for ids that are unknown or not even well-formed. */
  findById(id: string): Promise<User | null>;
  incrementTokenVersion(id: string): Promise<void>;
  /**
   * Replaces the stored hash (password change, or a re-hash at a higher cost), but only while it is still
   * `expected`: of two changes made at once, one wins and the other is told so. Returns whether it was
   * replaced (false for unknown ids too).
   */
  updatePasswordHash(id: string, passwordHash: string, expected: string): Promise<boolean>;
}

export interface NewRefreshToken {
  tokenHash: string;
  familyId: string;
  userId: string;
  expiresAt: Date;
  familyExpiresAt: Date;
  /** The user's token version when the session started: a later logout-all or password change ends it. */
  tokenVersion: number;
}

export interface RefreshTokenRecord extends NewRefreshToken {
  usedAt: Date | null;
  revokedAt: Date | null;
}

export interface RefreshTokenStore {
  /** The first token of a new family (a login). */
  save(token: NewRefreshToken): Promise<void>;
  /**
   * Rotation, in one atomic step: if the token is live (not used, not revoked, not expired at `now`), it is
   * marked used and `successor` is saved in its family. With `concurrentSince`, a token already used at or
   * after that time (a concurrent refresh inside the grace window) gets a successor too and stays as it is.
   * The successor takes the family, user, token version and absolute expiry of the presented token; its own
   * expiry is the earlier of `successor.expiresAt` and the family's. Returns the presented token as it was
   * before, or null, in which case nothing was changed or saved. Two concurrent calls for one live token
   * must never both see it unused.
   */
  rotate(
    tokenHash: string,
    now: Date,
    successor: { tokenHash: string; expiresAt: Date },
    concurrentSince?: Date,
  ): Promise<RefreshTokenRecord | null>;
  findByHash(tokenHash: string): Promise<RefreshTokenRecord | null>;
  /** Must also catch a successor saved by a rotation that was running at the same time. */
  revokeFamily(familyId: string, now: Date): Promise<void>;
  revokeAllForUser(userId: string, now: Date): Promise<void>;
  deleteExpired(now: Date): Promise<void>;
}

/** Access tokens ended before their expiry (logout), keyed by `jti`. */
export interface AccessTokenDenylist {
  add(jti: string, expiresAt: Date): Promise<void>;
  has(jti: string): Promise<boolean>;
  deleteExpired(now: Date): Promise<void>;
}

export interface AuthStores {
  users: UserStore;
  refreshTokens: RefreshTokenStore;
  denylist: AccessTokenDenylist;
  close(): Promise<void>;
}

// ---- Per-request checks: where token versions and revoked jtis are looked up first ----

/**
 * What the cache knows for one access token. Undefined fields are loaded from the stores (`| undefined` is
 * spelled out so the fields may be passed on as read, also under `exactOptionalPropertyTypes`).
 */
export interface AccessCheck {
  user?: User | undefined;
  denied?: boolean | undefined;
  /** Keeps what the service loaded from the stores, unless a revocation happened meanwhile. Never throws. */
  remember(loaded: { user: User | null; denied: boolean }): Promise<void>;
}

/**
 * Answers the per-request checks without a store round trip: in this process (the default) or in a
 * cache shared by every instance (Redis). Revocations go through it before the stores change.
 */
export interface AccessCache {
  lookup(userId: string, jti: string, expiresAt: Date): Promise<AccessCheck>;
  /**
   * The same answers as `lookup`, from memory only and synchronously, so a request whose checks are all
   * cached costs no promise at all. Caches that need I/O to answer (Redis) leave it out.
   */
  peek?(userId: string, jti: string): Pick<AccessCheck, 'user' | 'denied'>;
  /**
   * Called before a user's token version changes. Throws when the change could not be made visible to
   * every instance, so nothing is changed. The returned function is called once the stores changed.
   */
  beginUserChange(userId: string): Promise<(reload: () => Promise<User | null>) => Promise<void>>;
  /** Ends one access token. Throws like beginUserChange. */
  denyJti(jti: string, expiresAt: Date): Promise<void>;
}

export class DuplicateEmailError extends Error {
  constructor() {
    super('A user with this email already exists');
    this.name = 'DuplicateEmailError';
  }
}

// ---- Errors the HTTP layer turns into responses ----

export type AuthErrorCode =
  | 'invalid_request'
  | PasswordProblem
  | 'invalid_credentials'
  | 'invalid_token'
  | 'token_expired'
  | 'email_taken'
  | 'insufficient_role'
  | 'forbidden_origin'
  | 'rate_limited'
  | 'service_unavailable';

export class AuthError extends Error {
  readonly status: number;
  readonly code: AuthErrorCode;

  constructor(status: number, code: AuthErrorCode, message: string) {
    super(message);
    this.name = 'AuthError';
    this.status = status;
    this.code = code;
  }
}

const invalidCredentials = () =>
  new AuthError(401, 'invalid_credentials', 'Invalid email or password');
const invalidToken = () => new AuthError(401, 'invalid_token', 'The token is invalid');
const invalidRefreshToken = () =>
  new AuthError(401, 'invalid_token', 'The refresh token is invalid or expired');

// ---- The service ----

export interface AuthTokens {
  token: string;
  refresh: string;
  /** Access token lifetime in seconds. */
  expiresIn: number;
}

export interface AuthSession extends AuthTokens {
  user: PublicUser;
  /** When the refresh token stops working (the cookie's Max-Age). Not sent in bodies. */
  refreshExpiresAt: Date;
}

export interface PublicUser {
  id: string;
  email: string;
  role: string;
  createdAt: string;
}

export interface VerifiedAccessToken {
  user: User;
  jti: string;
  expiresAt: Date;
}

export interface AuthServiceOptions {
  /** Called for events worth a security log line. Never receives passwords or tokens. */
  onSecurityEvent?: (event: SecurityEvent) => void;
  /** Where per-request checks are cached; in this process by default. */
  accessCache?: AccessCache;
  now?: () => Date;
}

const ALGORITHM = 'HS256';
const TOKEN_USE = 'access';
const CLOCK_TOLERANCE_SECONDS = 30;
const EMAIL_MAX_LENGTH = 254;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// 32 random bytes in base64url: anything else cannot be one of ours, so skip the database.
const REFRESH_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const PASSWORD_MESSAGES: Record<PasswordProblem, (minLength: number) => string> = {
  password_too_short: (minLength) => `Password must be at least ${minLength} characters`,
  password_too_long: () =>
    'Password must be at most 72 bytes: 72 plain characters, fewer with accents or emoji',
  password_too_common: () => 'This password is too common or too easy to guess; choose another one',
};

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase().normalize('NFC');
}

export function toPublicUser(user: User): PublicUser {
  return {
    id: user.id,
    email: user.email,
    role: user.role,
    createdAt: user.createdAt.toISOString(),
  };
}

export class AuthService {
  private readonly stores: AuthStores;
  private readonly config: AuthConfig;
  private readonly passwords: PasswordHasher;
  private readonly onSecurityEvent: (event: SecurityEvent) => void;
  private readonly now: () => Date;
  private readonly accessCache: AccessCache;
  /**
   * Exact token string → its verified claims, until it expires (or its key stops being accepted): a
   * token seen before skips the HMAC and JSON parsing. Revocation checks still run on every request.
   */
  private readonly verifiedTokens = new TtlCache<AccessClaims>();

  constructor(stores: AuthStores, config: AuthConfig, options: AuthServiceOptions = {}) {
    this.stores = stores;
    this.config = config;
    this.passwords = new PasswordHasher(config.bcryptCost);
    this.onSecurityEvent = options.onSecurityEvent ?? (() => {});
    this.now = options.now ?? (() => new Date());
    this.accessCache = options.accessCache ?? new InProcessAccessCache(config.userCacheTtlSeconds);
  }

  async register(input: { email: string; password: string }): Promise<AuthSession> {
    const email = normalizeEmail(input.email);
    if (email.length > EMAIL_MAX_LENGTH || !EMAIL_PATTERN.test(email)) {
      throw new AuthError(400, 'invalid_request', 'email must be a valid email address');
    }
    this.assertAcceptablePassword(input.password);

    const passwordHash = await this.passwords.hash(input.password);
    let user: User;
    try {
      // The unique index decides, so two simultaneous sign-ups cannot both succeed.
      user = await this.stores.users.create({ email, passwordHash });
    } catch (error) {
      if (error instanceof DuplicateEmailError) {
        throw new AuthError(409, 'email_taken', 'An account with this email already exists');
      }
      throw error;
    }
    return this.startSession(user);
  }

  async login(input: { email: string; password: string }, client: ClientInfo = {}): Promise<AuthSession> {
    const user = await this.stores.users.findByEmail(normalizeEmail(input.email));
    const passwordOk = user
      ? await this.checkPassword(input.password, user.passwordHash)
      : await this.passwords.verifyAgainstDummy(input.password);
    if (!user || !passwordOk) {
      this.onSecurityEvent({ event: 'login_failed', userId: user?.id ?? null, client });
      throw invalidCredentials();
    }
    await this.upgradeHashIfWeak(user, input.password);
    this.onSecurityEvent({ event: 'login_succeeded', userId: user.id, client });
    return this.startSession(user);
  }

  /** Rotates the refresh token: the presented one stops working, a new pair is returned. */
  async refresh(refreshToken: string, client: ClientInfo = {}): Promise<AuthSession> {
    if (!REFRESH_TOKEN_PATTERN.test(refreshToken)) throw invalidRefreshToken();
    const now = this.now();
    const presentedHash = hashToken(refreshToken);
    const successor = generateRefreshToken();
    // Inside the grace window a just-rotated token is two tabs refreshing at once: the slower one gets its
    // own pair in the same family. Grace 0 is strict rotation.
    const grace = this.config.refreshReuseGraceSeconds;
    const concurrentSince = grace > 0 ? addSeconds(now, -grace) : undefined;

    const rotated = await this.stores.refreshTokens.rotate(
      presentedHash,
      now,
      { tokenHash: successor.hash, expiresAt: addSeconds(now, this.config.refreshTokenTtlSeconds) },
      concurrentSince,
    );
    if (rotated) return this.continueFamily(rotated, successor, now, client);

    const previous = await this.stores.refreshTokens.findByHash(presentedHash);
    if (previous?.usedAt && !previous.revokedAt) {
      // A rotated token presented again means it was copied: end the whole family (RFC 9700 §4.14.2).
      await this.stores.refreshTokens.revokeFamily(previous.familyId, now);
      this.onSecurityEvent({
        event: 'refresh_token_reuse',
        userId: previous.userId,
        familyId: previous.familyId,
        client,
      });
    }
    throw invalidRefreshToken();
  }

  /**
   * Ends the session the refresh token belongs to. Unknown or already revoked tokens succeed
   * too, so logout cannot be used to test whether a token exists.
   */
  async logout(refreshToken: string | undefined, accessToken?: string, client: ClientInfo = {}): Promise<void> {
    const now = this.now();
    let userId: string | null = null;
    // The access token first: if its revocation cannot reach every instance, nothing is changed (503).
    const verified = accessToken ? await this.verifyAccessToken(accessToken).catch(() => null) : null;
    if (verified) {
      await this.accessCache.denyJti(verified.jti, verified.expiresAt);
      userId = verified.user.id;
    }
    if (refreshToken !== undefined && REFRESH_TOKEN_PATTERN.test(refreshToken)) {
      const record = await this.stores.refreshTokens.findByHash(hashToken(refreshToken));
      if (record) {
        await this.stores.refreshTokens.revokeFamily(record.familyId, now);
        userId ??= record.userId;
      }
    }
    if (verified) await this.stores.denylist.add(verified.jti, verified.expiresAt);
    this.onSecurityEvent({ event: 'logout', userId, client });
  }

  /** Ends every session of the user: refresh tokens are revoked and access tokens stop verifying. */
  async logoutAll(userId: string, client: ClientInfo = {}): Promise<void> {
    await this.endAllSessions(userId);
    this.onSecurityEvent({ event: 'logout_all', userId, client });
  }

  /**
   * Needs the current password. Every other session ends (their refresh and access tokens stop
   * working); the caller gets a fresh pair in a new family.
   */
  async changePassword(
    userId: string,
    input: { currentPassword: string; newPassword: string },
    client: ClientInfo = {},
  ): Promise<AuthSession> {
    const known = await this.stores.users.findById(userId);
    const user = known ? await this.stores.users.findByEmail(known.email) : null;
    if (!user) throw invalidToken();
    if (!(await this.checkPassword(input.currentPassword, user.passwordHash))) {
      this.onSecurityEvent({ event: 'password_change_failed', userId: user.id, client });
      throw invalidCredentials();
    }
    this.assertAcceptablePassword(input.newPassword);

    const passwordHash = await this.passwords.hash(input.newPassword);
    // Compare-and-set against the hash just checked: of two changes made at once, only one wins.
    const changed = await this.endAllSessions(user.id, () =>
      this.stores.users.updatePasswordHash(user.id, passwordHash, user.passwordHash),
    );
    if (!changed) {
      this.onSecurityEvent({ event: 'password_change_failed', userId: user.id, client });
      throw invalidCredentials();
    }
    this.onSecurityEvent({ event: 'password_changed', userId: user.id, client });
    const updated = await this.stores.users.findById(user.id);
    if (!updated) throw invalidToken();
    return this.startSession(updated);
  }

  /**
   * The common case without a single await: the token was verified before and the in-process cache
   * answers both revocation checks. Anything else (first sight, a cache miss, a revoked token) returns
   * undefined, and the caller takes verifyAccessToken, which decides and explains.
   */
  verifyCachedAccessToken(token: string): VerifiedAccessToken | undefined {
    const claims = this.verifiedTokens.get(token);
    if (!claims || !this.accessCache.peek) return undefined;
    const { user, denied } = this.accessCache.peek(claims.sub, claims.jti);
    if (!user || denied !== false || user.tokenVersion !== claims.tv) return undefined;
    return { user, jti: claims.jti, expiresAt: new Date(claims.exp * 1000) };
  }

  async verifyAccessToken(token: string): Promise<VerifiedAccessToken> {
    const claims = this.verifySignedClaims(token);
    const expiresAt = new Date(claims.exp * 1000);
    const check = await this.accessCache.lookup(claims.sub, claims.jti, expiresAt);
    let { user, denied } = check;
    if (user === undefined || denied === undefined) {
      // Not cached (or the shared cache is unreachable): the stores are the source of truth.
      const [loadedUser, loadedDenied] = await Promise.all([
        user ?? this.stores.users.findById(claims.sub),
        denied ?? this.stores.denylist.has(claims.jti),
      ]);
      await check.remember({ user: loadedUser, denied: loadedDenied });
      user = loadedUser ?? undefined;
      denied = loadedDenied;
    }
    if (!user || user.tokenVersion !== claims.tv || denied) throw invalidToken();
    return { user, jti: claims.jti, expiresAt };
  }

  async purgeExpired(): Promise<void> {
    const now = this.now();
    await this.stores.refreshTokens.deleteExpired(now);
    await this.stores.denylist.deleteExpired(now);
  }

  /** Stops the password hashing workers. The stores are closed by their owner. */
  close(): Promise<void> {
    return this.passwords.close();
  }

  private assertAcceptablePassword(password: string): void {
    const problem = checkNewPassword(password, this.config.passwordMinLength);
    if (problem) throw new AuthError(400, problem, PASSWORD_MESSAGES[problem](this.config.passwordMinLength));
  }

  private checkPassword(password: string, passwordHash: string): Promise<boolean> {
    // Registration never accepts more than 72 bytes; bcrypt would compare only a prefix of it.
    if (exceedsBcryptLimit(password)) return this.passwords.verifyAgainstDummy(password);
    return this.passwords.verify(password, passwordHash);
  }

  /** OWASP "upgrading the work factor": the only time the plain password is at hand is a successful login. */
  private async upgradeHashIfWeak(user: UserWithPasswordHash, password: string): Promise<void> {
    if (!this.passwords.needsRehash(user.passwordHash)) return;
    try {
      // Against the hash just checked, so a password change made meanwhile is never overwritten.
      await this.stores.users.updatePasswordHash(user.id, await this.passwords.hash(password), user.passwordHash);
    } catch (error) {
      // The login itself succeeded; the next one tries again.
      console.warn(`[auth] could not re-hash a password: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * Bumps the token version and revokes every refresh token. The cache is told first (a 503 there changes
   * nothing); every database change comes before it is told the result, so if that last step fails the
   * change is still complete, and the pending mark makes every instance read the user from the database.
   * `changeFirst` (a password change) may decline, and then nothing ends. Returns whether it went ahead.
   */
  private async endAllSessions(userId: string, changeFirst?: () => Promise<boolean>): Promise<boolean> {
    const finish = await this.accessCache.beginUserChange(userId);
    const proceed = changeFirst ? await changeFirst() : true;
    if (proceed) {
      await this.stores.users.incrementTokenVersion(userId);
      await this.stores.refreshTokens.revokeAllForUser(userId, this.now());
    }
    await finish(() => this.stores.users.findById(userId));
    return proceed;
  }

  private async startSession(user: User): Promise<AuthSession> {
    const now = this.now();
    const refresh = generateRefreshToken();
    const familyExpiresAt = addSeconds(now, this.config.refreshTokenTtlSeconds);
    await this.stores.refreshTokens.save({
      tokenHash: refresh.hash,
      familyId: randomUUID(), // a new family for every login: each device is its own session
      userId: user.id,
      expiresAt: familyExpiresAt,
      familyExpiresAt,
      tokenVersion: user.tokenVersion,
    });
    return {
      ...this.issueAccessToken(user),
      refresh: refresh.token,
      refreshExpiresAt: familyExpiresAt,
      user: toPublicUser(user),
    };
  }

  /** Issues the access token that goes with a successor the store has saved. */
  private async continueFamily(
    presented: RefreshTokenRecord,
    successor: { token: string; hash: string },
    now: Date,
    client: ClientInfo,
  ): Promise<AuthSession> {
    const user = await this.stores.users.findById(presented.userId);
    // A session started before the user's last logout-all or password change is over, even if its
    // refresh raced with the revocation and slipped a successor past it.
    if (!user || user.tokenVersion !== presented.tokenVersion) {
      await this.stores.refreshTokens.revokeFamily(presented.familyId, now);
      throw invalidRefreshToken();
    }
    // Rotation never extends the family's absolute lifetime.
    const expiresAt = earliest(addSeconds(now, this.config.refreshTokenTtlSeconds), presented.familyExpiresAt);
    // A token used before, inside the grace window: allowed, but logged, since a thief inside the window looks the same.
    const event = presented.usedAt ? 'refresh_concurrent' : 'refresh';
    this.onSecurityEvent({ event, userId: user.id, familyId: presented.familyId, client });
    return {
      ...this.issueAccessToken(user),
      refresh: successor.token,
      refreshExpiresAt: expiresAt,
      user: toPublicUser(user),
    };
  }

  private issueAccessToken(user: User): Omit<AuthTokens, 'refresh'> {
    const expiresIn = this.config.accessTokenTtlSeconds;
    const token = jwt.sign(
      { token_use: TOKEN_USE, tv: user.tokenVersion, role: user.role },
      this.config.jwtKey,
      {
        algorithm: ALGORITHM,
        keyid: this.config.jwtKeyId,
        expiresIn,
        issuer: this.config.issuer,
        audience: this.config.audience,
        subject: user.id,
        jwtid: randomUUID(),
      },
    );
    return { token, expiresIn };
  }

  /**
   * The key comes from our own map by `kid`; header fields such as `jku`, `jwk` or `x5u` are never followed.
   * A `crit` header names extensions the verifier must understand (RFC 7515 §4.1.11): we understand none.
   */
  private verificationKeyFor(token: string): VerificationKey | undefined {
    const header = readHeader(token);
    if (!header || header['crit'] !== undefined) return undefined;
    const kid = typeof header['kid'] === 'string' ? header['kid'] : undefined;
    const entry = kid === undefined ? undefined : this.config.verificationKeys.get(kid);
    if (!entry) return undefined;
    if (entry.acceptedUntil && entry.acceptedUntil.getTime() <= this.now().getTime()) return undefined;
    return entry;
  }

  private verifySignedClaims(token: string): AccessClaims {
    const cached = this.verifiedTokens.get(token, this.now().getTime());
    if (cached) return cached;
    const entry = this.verificationKeyFor(token);
    if (!entry) throw invalidToken();
    const claims = this.verifyWithKey(token, entry.key);
    const keyAcceptedUntil = entry.acceptedUntil?.getTime() ?? Infinity;
    this.verifiedTokens.set(token, claims, Math.min(claims.exp * 1000, keyAcceptedUntil));
    return claims;
  }

  private verifyWithKey(token: string, key: KeyObject): AccessClaims {
    let payload: string | JwtPayload;
    try {
      payload = jwt.verify(token, key, {
        algorithms: [ALGORITHM],
        issuer: this.config.issuer,
        audience: this.config.audience,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
    } catch (error) {
      // jsonwebtoken checks the signature before expiry, so "expired" means it was ours.
      if (error instanceof jwt.TokenExpiredError) {
        throw new AuthError(401, 'token_expired', 'The access token has expired');
      }
      throw invalidToken();
    }
    if (!isAccessClaims(payload)) throw invalidToken();
    // Issued in the future, or made to live longer than we ever sign for: not a token of ours.
    const now = this.now().getTime() / 1000;
    if (payload.iat > now + CLOCK_TOLERANCE_SECONDS) throw invalidToken();
    if (payload.exp - payload.iat > this.config.accessTokenTtlSeconds + CLOCK_TOLERANCE_SECONDS) throw invalidToken();
    return payload;
  }
}

interface AccessClaims extends JwtPayload {
  sub: string;
  jti: string;
  iat: number;
  exp: number;
  tv: number;
  token_use: typeof TOKEN_USE;
}

/** jsonwebtoken accepts tokens without `exp`; an access token must always expire. */
function isAccessClaims(payload: string | JwtPayload): payload is AccessClaims {
  return (
    typeof payload === 'object' &&
    payload['token_use'] === TOKEN_USE &&
    typeof payload.exp === 'number' &&
    typeof payload.iat === 'number' &&
    typeof payload.sub === 'string' &&
    typeof payload.jti === 'string' &&
    typeof payload['tv'] === 'number'
  );
}

/** An unverified token's header, or undefined if it is not a JSON object. */
function readHeader(token: string): Record<string, unknown> | undefined {
  const header = token.slice(0, token.indexOf('.'));
  try {
    const parsed: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function generateRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

/** Only this hash is stored, so a database leak does not leak usable refresh tokens. */
function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}

function earliest(a: Date, b: Date): Date {
  return a.getTime() <= b.getTime() ? a : b;
}
