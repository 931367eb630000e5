import { createHash, randomBytes, randomUUID } from 'node:crypto';
import jwt, { type Jwt, type JwtPayload } from 'jsonwebtoken';
import type { AuthConfig } from '../config/auth.js';
import { checkNewPassword, exceedsBcryptLimit, PasswordHasher } from './password.js';

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

export class DuplicateEmailError extends Error {
  constructor() {
    super('A user with this email already exists');
    this.name = 'DuplicateEmailError';
  }
}

// ---- Errors the HTTP layer turns into responses ----

export type AuthErrorCode =
  | 'invalid_request'
  | 'password_too_short'
  | 'password_too_long'
  | 'invalid_credentials'
  | 'invalid_token'
  | 'token_expired'
  | 'email_taken'
  | 'service_unavailable';

export class AuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: AuthErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
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

export type SecurityEvent =
  | { type: 'login_failed'; userId: string | null }
  | { type: 'refresh_token_reuse'; userId: string; familyId: string };

export interface AuthServiceOptions {
  /** Called for events worth a security log line. Never receives passwords or tokens. */
  onSecurityEvent?: (event: SecurityEvent) => void;
  now?: () => Date;
}

const ALGORITHM = 'HS256';
const KEY_ID = 'current';
const TOKEN_USE = 'access';
const CLOCK_TOLERANCE_SECONDS = 30;
const EMAIL_MAX_LENGTH = 254;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// 32 random bytes in base64url: anything else cannot be one of ours, so skip the database.
const REFRESH_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

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
  private readonly passwords: PasswordHasher;
  private readonly onSecurityEvent: (event: SecurityEvent) => void;
  private readonly now: () => Date;

  constructor(
    private readonly stores: AuthStores,
    private readonly config: AuthConfig,
    options: AuthServiceOptions = {},
  ) {
    this.passwords = new PasswordHasher(config.bcryptCost);
    this.onSecurityEvent = options.onSecurityEvent ?? (() => {});
    this.now = options.now ?? (() => new Date());
  }

  async register(input: { email: string; password: string }): Promise<AuthSession> {
    const email = normalizeEmail(input.email);
    if (email.length > EMAIL_MAX_LENGTH || !EMAIL_PATTERN.test(email)) {
      throw new AuthError(400, 'invalid_request', 'email must be a valid email address');
    }
    const problem = checkNewPassword(input.password, this.config.passwordMinLength);
    if (problem === 'password_too_short') {
      throw new AuthError(
        400,
        problem,
        `Password must be at least ${this.config.passwordMinLength} characters`,
      );
    }
    if (problem === 'password_too_long') {
      throw new AuthError(
        400,
        problem,
        'Password must be at most 72 bytes: 72 plain characters, fewer with accents or emoji',
      );
    }

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

  async login(input: { email: string; password: string }): Promise<AuthSession> {
    const user = await this.stores.users.findByEmail(normalizeEmail(input.email));
    // Registration never accepts more than 72 bytes; bcrypt would compare only a prefix of it.
    const passwordOk =
      user && !exceedsBcryptLimit(input.password)
        ? await this.passwords.verify(input.password, user.passwordHash)
        : await this.passwords.verifyAgainstDummy(input.password);
    if (!user || !passwordOk) {
      this.onSecurityEvent({ type: 'login_failed', userId: user?.id ?? null });
      throw invalidCredentials();
    }
    return this.startSession(user);
  }

  /** Rotates the refresh token: the presented one stops working, a new pair is returned. */
  async refresh(refreshToken: string): Promise<AuthSession> {
    if (!REFRESH_TOKEN_PATTERN.test(refreshToken)) throw invalidRefreshToken();
    const now = this.now();
    const presentedHash = hashToken(refreshToken);
    const successor = generateRefreshToken();

    const consumed = await this.stores.refreshTokens.consume(presentedHash, now, successor.hash);
    if (consumed) return this.continueFamily(consumed, successor, now);

    const previous = await this.stores.refreshTokens.findByHash(presentedHash);
    if (previous && this.isConcurrentRefresh(previous, now)) {
      // Two tabs refreshing at once: the slower one gets its own pair in the same family.
      return this.continueFamily(previous, successor, now);
    }
    if (previous?.usedAt && !previous.revokedAt) {
      // A rotated token presented again means it was copied: end the whole family (RFC 9700 §4.14.2).
      await this.stores.refreshTokens.revokeFamily(previous.familyId, now);
      this.onSecurityEvent({
        type: 'refresh_token_reuse',
        userId: previous.userId,
        familyId: previous.familyId,
      });
    }
    throw invalidRefreshToken();
  }

  /**
   * Ends the session the refresh token belongs to. Unknown or already revoked tokens succeed
   * too, so logout cannot be used to test whether a token exists.
   */
  async logout(refreshToken: string, accessToken?: string): Promise<void> {
    const now = this.now();
    if (REFRESH_TOKEN_PATTERN.test(refreshToken)) {
      const record = await this.stores.refreshTokens.findByHash(hashToken(refreshToken));
      if (record) await this.stores.refreshTokens.revokeFamily(record.familyId, now);
    }
    if (accessToken) {
      const verified = await this.verifyAccessToken(accessToken).catch(() => null);
      if (verified) await this.stores.denylist.add(verified.jti, verified.expiresAt);
    }
  }

  /** Ends every session of the user: refresh tokens are revoked and access tokens stop verifying. */
  async logoutAll(userId: string): Promise<void> {
    await this.stores.users.incrementTokenVersion(userId);
    await this.stores.refreshTokens.revokeAllForUser(userId, this.now());
  }

  async getUser(id: string): Promise<PublicUser> {
    const user = await this.stores.users.findById(id);
    if (!user) throw invalidToken();
    return toPublicUser(user);
  }

  async verifyAccessToken(token: string): Promise<VerifiedAccessToken> {
    const claims = this.verifySignedClaims(token);
    const [user, denied] = await Promise.all([
      this.stores.users.findById(claims.sub),
      this.stores.denylist.has(claims.jti),
    ]);
    if (!user || user.tokenVersion !== claims.tv || denied) throw invalidToken();
    return { user, jti: claims.jti, expiresAt: new Date(claims.exp * 1000) };
  }

  async purgeExpired(): Promise<void> {
    const now = this.now();
    await this.stores.refreshTokens.deleteExpired(now);
    await this.stores.denylist.deleteExpired(now);
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
      user: toPublicUser(user),
    };
  }

  private isConcurrentRefresh(token: RefreshTokenRecord, now: Date): boolean {
    if (!token.usedAt || token.revokedAt || token.expiresAt <= now) return false;
    return now.getTime() - token.usedAt.getTime() <= this.config.refreshReuseGraceSeconds * 1000;
  }

  /** Saves the successor of a used token and issues a new access token. */
  private async continueFamily(
    used: RefreshTokenRecord,
    successor: { token: string; hash: string },
    now: Date,
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
    return {
      ...this.issueAccessToken(user),
      refresh: successor.token,
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
        keyid: KEY_ID,
        expiresIn,
        issuer: this.config.issuer,
        audience: this.config.audience,
        subject: user.id,
        jwtid: randomUUID(),
      },
    );
    return { token, expiresIn };
  }

  private verifySignedClaims(token: string): AccessClaims {
    let decoded: Jwt;
    try {
      decoded = jwt.verify(token, this.config.jwtKey, {
        algorithms: [ALGORITHM],
        issuer: this.config.issuer,
        audience: this.config.audience,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        complete: true,
      });
    } catch (error) {
      // jsonwebtoken checks the signature before expiry, so "expired" means it was ours.
      if (error instanceof jwt.TokenExpiredError) {
        throw new AuthError(401, 'token_expired', 'The access token has expired');
      }
      throw invalidToken();
    }
    if (decoded.header.kid !== KEY_ID || !isAccessClaims(decoded.payload)) throw invalidToken();
    return decoded.payload;
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
    payload.token_use === TOKEN_USE &&
    typeof payload.exp === 'number' &&
    typeof payload.sub === 'string' &&
    typeof payload.jti === 'string' &&
    typeof payload.tv === 'number'
  );
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
