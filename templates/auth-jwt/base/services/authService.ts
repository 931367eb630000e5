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
  /** Replaces the stored hash (password change, or a re-hash at a higher cost). Unknown ids are ignored. */
  updatePasswordHash(id: string, passwordHash: string): Promise<void>;
}

export interface RefreshTokenRecord {
  tokenHash: string;
  familyId: string;
  userId: string;
  expiresAt: Date;
  familyExpiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
}

export interface NewRefreshToken {
  tokenHash: string;
  familyId: string;
  userId: string;
  expiresAt: Date;
  familyExpiresAt: Date;
}

export interface RefreshTokenStore {
  save(token: NewRefreshToken): Promise<void>;
  /**
   * One atomic conditional update: marks the token used (and replaced by `replacedBy`) only if it
   * is not used, not revoked and not expired at `now`. Returns the token, or null if that failed.
   */
  consume(tokenHash: string, now: Date, replacedBy: string): Promise<RefreshTokenRecord | null>;
  findByHash(tokenHash: string): Promise<RefreshTokenRecord | null>;
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

    const consumed = await this.stores.refreshTokens.consume(presentedHash, now, successor.hash);
    if (consumed) return this.continueFamily(consumed, successor, now, client);

    const previous = await this.stores.refreshTokens.findByHash(presentedHash);
    if (previous && this.isConcurrentRefresh(previous, now)) {
      // Two tabs refreshing at once: the slower one gets its own pair in the same family.
      return this.continueFamily(previous, successor, now, client);
    }
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
    if (!(await this.checkPassword(input.currentPassword, user.passwordHash))) throw invalidCredentials();
    this.assertAcceptablePassword(input.newPassword);

    const passwordHash = await this.passwords.hash(input.newPassword);
    await this.endAllSessions(user.id, () => this.stores.users.updatePasswordHash(user.id, passwordHash));
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
      await this.stores.users.updatePasswordHash(user.id, await this.passwords.hash(password));
    } catch (error) {
      // The login itself succeeded; the next one tries again.
      console.warn(`[auth] could not re-hash a password: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** `changeFirst` runs once the cache is ready for the change, so a 503 there leaves everything as it was. */
  private async endAllSessions(userId: string, changeFirst?: () => Promise<void>): Promise<void> {
    const finish = await this.accessCache.beginUserChange(userId);
    await changeFirst?.();
    await this.stores.users.incrementTokenVersion(userId);
    await finish(() => this.stores.users.findById(userId));
    await this.stores.refreshTokens.revokeAllForUser(userId, this.now());
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
    });
    return {
      ...this.issueAccessToken(user),
      refresh: refresh.token,
      refreshExpiresAt: familyExpiresAt,
      user: toPublicUser(user),
    };
  }

  private isConcurrentRefresh(token: RefreshTokenRecord, now: Date): boolean {
    if (!token.usedAt || token.revokedAt || token.expiresAt <= now) return false;
    // Grace 0 is strict rotation. (`now` may even precede `usedAt`: it is read before the consume.)
    const grace = this.config.refreshReuseGraceSeconds * 1000;
    return grace > 0 && now.getTime() - token.usedAt.getTime() <= grace;
  }

  /** Saves the successor of a used token and issues a new access token. */
  private async continueFamily(
    used: RefreshTokenRecord,
    successor: { token: string; hash: string },
    now: Date,
    client: ClientInfo,
  ): Promise<AuthSession> {
    const user = await this.stores.users.findById(used.userId);
    if (!user) {
      await this.stores.refreshTokens.revokeFamily(used.familyId, now);
      throw invalidRefreshToken();
    }
    // Rotation never extends the family's absolute lifetime.
    const expiresAt = earliest(addSeconds(now, this.config.refreshTokenTtlSeconds), used.familyExpiresAt);
    await this.stores.refreshTokens.save({
      tokenHash: successor.hash,
      familyId: used.familyId,
      userId: user.id,
      expiresAt,
      familyExpiresAt: used.familyExpiresAt,
    });
    this.onSecurityEvent({ event: 'refresh', userId: user.id, familyId: used.familyId, client });
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

  /** The key comes from our own map by `kid`; header fields such as `jku`, `jwk` or `x5u` are never followed. */
  private verificationKeyFor(token: string): VerificationKey | undefined {
    const kid = readKeyId(token);
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
    return payload;
  }
}

interface AccessClaims extends JwtPayload {
  sub: string;
  jti: string;
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
    typeof payload.sub === 'string' &&
    typeof payload.jti === 'string' &&
    typeof payload['tv'] === 'number'
  );
}

/** The `kid` of an unverified token's header, or undefined if there is none. */
function readKeyId(token: string): string | undefined {
  const header = token.slice(0, token.indexOf('.'));
  try {
    const parsed: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    const kid = typeof parsed === 'object' && parsed !== null ? (parsed as { kid?: unknown }).kid : undefined;
    return typeof kid === 'string' ? kid : undefined;
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
