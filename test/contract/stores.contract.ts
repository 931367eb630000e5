import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Types only: at run time every store uses its own copy of the templates (see layout.ts).
import type * as AuthServiceModule from '../../templates/auth-jwt/base/services/authService.js';

type AuthStores = AuthServiceModule.AuthStores;

/** What the contract needs from one store: the stores, and a way around them to read the database. */
export interface StoreHarness {
  stores: AuthStores;
  /** The services/authService module the stores were built with (for DuplicateEmailError, normalizeEmail). */
  authService: typeof AuthServiceModule;
  /** Every refresh token row or document exactly as the database holds it. */
  rawRefreshTokens(): Promise<Array<Record<string, unknown>>>;
  /** A well-formed user id that belongs to nobody. */
  unknownUserId(): string;
  /** Closes the stores and drops whatever the run created (database, schema, folder). */
  dispose(): Promise<void>;
}

const DAY_MS = 86_400_000;

/**
 * The behaviour every store must have, written once. `open` is called once per store; tests use fresh
 * emails and tokens, so they do not depend on each other's data.
 */
export function defineStoreContract(name: string, open: () => Promise<StoreHarness>): void {
  describe(`${name} store contract`, () => {
    let harness: StoreHarness;
    let stores: AuthStores;

    beforeAll(async () => {
      harness = await open();
      stores = harness.stores;
    });
    afterAll(async () => harness?.dispose());

    const newEmail = () => `user-${randomUUID()}@example.com`;
    const newUser = () => stores.users.create({ email: newEmail(), passwordHash: '$2b$10$hash' });
    const inDays = (days: number) => new Date(Date.now() + days * DAY_MS);

    /** A refresh token as the service makes one: only the SHA-256 of the token goes to the store. */
    async function saveToken(userId: string, options: { familyId?: string; expiresAt?: Date } = {}) {
      const token = randomBytes(32).toString('base64url');
      const tokenHash = createHash('sha256').update(token).digest('hex');
      const expiresAt = options.expiresAt ?? inDays(30);
      const familyId = options.familyId ?? randomUUID();
      await stores.refreshTokens.save({ tokenHash, familyId, userId, expiresAt, familyExpiresAt: expiresAt });
      return { token, tokenHash, familyId };
    }

    it('creates a user and finds it by email and by id, the hash only by email', async () => {
      const email = newEmail();
      const created = await stores.users.create({ email, passwordHash: '$2b$10$secret-hash' });
      expect(created).toMatchObject({ email, role: 'user', tokenVersion: 0 });
      expect(typeof created.id).toBe('string');
      expect(created.createdAt).toBeInstanceOf(Date);
      expect(created).not.toHaveProperty('passwordHash');

      const byEmail = await stores.users.findByEmail(email);
      expect(byEmail).toMatchObject({ id: created.id, email, passwordHash: '$2b$10$secret-hash' });

      const byId = await stores.users.findById(created.id);
      expect(byId).toMatchObject({ id: created.id, email, role: 'user', tokenVersion: 0 });
      expect(byId).not.toHaveProperty('passwordHash');
    });

    it('returns null for unknown emails, unknown ids and ids that are not even well-formed', async () => {
      expect(await stores.users.findByEmail(newEmail())).toBeNull();
      expect(await stores.users.findById(harness.unknownUserId())).toBeNull();
      for (const id of ['', 'nope', '1 OR 1=1', '{"$gt":""}']) expect(await stores.users.findById(id)).toBeNull();
    });

    it('rejects the same email in another letter case with DuplicateEmailError', async () => {
      const { normalizeEmail, DuplicateEmailError } = harness.authService;
      const local = `ada-${randomUUID()}`;
      await stores.users.create({ email: normalizeEmail(`${local}@example.com`), passwordHash: 'h1' });
      const again = stores.users.create({ email: normalizeEmail(`  ${local.toUpperCase()}@Example.COM `), passwordHash: 'h2' });
      await expect(again).rejects.toBeInstanceOf(DuplicateEmailError);
    });

    it('lets exactly one of 20 simultaneous sign-ups with one email succeed (the database decides)', async () => {
      const email = newEmail();
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, index) => stores.users.create({ email, passwordHash: `h${index}` })),
      );
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      for (const result of results.filter((entry) => entry.status === 'rejected')) {
        expect(result.reason).toBeInstanceOf(harness.authService.DuplicateEmailError);
      }
    });

    it('increments the token version', async () => {
      const user = await newUser();
      await stores.users.incrementTokenVersion(user.id);
      await stores.users.incrementTokenVersion(user.id);
      expect((await stores.users.findById(user.id))?.tokenVersion).toBe(2);
    });

    it('replaces the password hash of one user only, and ignores unknown or malformed ids', async () => {
      const user = await newUser();
      const bystander = await newUser();
      await stores.users.updatePasswordHash(user.id, '$2b$12$new-hash');
      expect((await stores.users.findByEmail(user.email))?.passwordHash).toBe('$2b$12$new-hash');
      expect((await stores.users.findByEmail(bystander.email))?.passwordHash).toBe('$2b$10$hash');
      expect((await stores.users.findById(user.id))?.tokenVersion).toBe(0); // a re-hash ends no session
      await stores.users.updatePasswordHash(harness.unknownUserId(), '$2b$12$other');
      for (const id of ['', 'nope', '{"$gt":""}']) await stores.users.updatePasswordHash(id, '$2b$12$other');
      expect((await stores.users.findByEmail(bystander.email))?.passwordHash).toBe('$2b$10$hash');
    });

    it('stores only the hash of a refresh token (read from the database directly)', async () => {
      const user = await newUser();
      const { token, tokenHash, familyId } = await saveToken(user.id);
      const raw = await harness.rawRefreshTokens();
      const stored = raw.filter((row) => JSON.stringify(row).includes(tokenHash));
      expect(stored).toHaveLength(1);
      expect(JSON.stringify(raw)).not.toContain(token);
      expect(await stores.refreshTokens.findByHash(tokenHash)).toMatchObject({
        tokenHash,
        familyId,
        userId: user.id,
        usedAt: null,
        revokedAt: null,
      });
    });

    it('rotates a token once: consume marks it used, a second consume gets nothing', async () => {
      const user = await newUser();
      const { tokenHash, familyId } = await saveToken(user.id);
      const now = new Date();
      const consumed = await stores.refreshTokens.consume(tokenHash, now, 'successor-hash');
      expect(consumed).toMatchObject({ tokenHash, familyId, userId: user.id, revokedAt: null });
      expect(consumed?.usedAt?.getTime()).toBe(now.getTime());
      expect(await stores.refreshTokens.consume(tokenHash, new Date(), 'another')).toBeNull();
      expect((await stores.refreshTokens.findByHash(tokenHash))?.usedAt).toBeInstanceOf(Date);
      expect(await stores.refreshTokens.consume('0'.repeat(64), new Date(), 'x')).toBeNull();
    });

    it('lets exactly one of 20 concurrent rotations of one token win', async () => {
      const user = await newUser();
      const { tokenHash } = await saveToken(user.id);
      const now = new Date();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, index) => stores.refreshTokens.consume(tokenHash, now, `successor-${index}`)),
      );
      expect(results.filter((result) => result !== null)).toHaveLength(1);
    });

    it('revokes a whole family and nothing else', async () => {
      const user = await newUser();
      const familyId = randomUUID();
      const first = await saveToken(user.id, { familyId });
      const second = await saveToken(user.id, { familyId });
      const otherFamily = await saveToken(user.id);
      await stores.refreshTokens.revokeFamily(familyId, new Date());
      expect(await stores.refreshTokens.consume(first.tokenHash, new Date(), 'x')).toBeNull();
      expect(await stores.refreshTokens.consume(second.tokenHash, new Date(), 'x')).toBeNull();
      expect((await stores.refreshTokens.findByHash(first.tokenHash))?.revokedAt).toBeInstanceOf(Date);
      expect(await stores.refreshTokens.consume(otherFamily.tokenHash, new Date(), 'x')).not.toBeNull();
    });

    it("revokes every token of a user and none of another user's", async () => {
      const [user, other] = await Promise.all([newUser(), newUser()]);
      const tokens = [await saveToken(user.id), await saveToken(user.id)];
      const othersToken = await saveToken(other.id);
      await stores.refreshTokens.revokeAllForUser(user.id, new Date());
      for (const { tokenHash } of tokens) {
        expect(await stores.refreshTokens.consume(tokenHash, new Date(), 'x')).toBeNull();
      }
      expect(await stores.refreshTokens.consume(othersToken.tokenHash, new Date(), 'x')).not.toBeNull();
      await stores.refreshTokens.revokeAllForUser(harness.unknownUserId(), new Date());
    });

    it('rejects expired tokens and deletes them, keeping live ones', async () => {
      const user = await newUser();
      const expired = await saveToken(user.id, { expiresAt: new Date(Date.now() - 1000) });
      const live = await saveToken(user.id);
      expect(await stores.refreshTokens.consume(expired.tokenHash, new Date(), 'x')).toBeNull();

      await stores.refreshTokens.deleteExpired(new Date());
      expect(await stores.refreshTokens.findByHash(expired.tokenHash)).toBeNull();
      const raw = JSON.stringify(await harness.rawRefreshTokens());
      expect(raw).not.toContain(expired.tokenHash);
      expect(raw).toContain(live.tokenHash);
      expect(await stores.refreshTokens.findByHash(live.tokenHash)).not.toBeNull();
    });

    it('keeps denied access tokens until they expire', async () => {
      const live = randomUUID();
      const expired = randomUUID();
      expect(await stores.denylist.has(live)).toBe(false);
      await stores.denylist.add(live, inDays(1));
      await stores.denylist.add(live, inDays(1)); // logging out twice is fine
      await stores.denylist.add(expired, new Date(Date.now() - 1000));
      expect(await stores.denylist.has(live)).toBe(true);
      expect(await stores.denylist.has(expired)).toBe(true);

      await stores.denylist.deleteExpired(new Date());
      expect(await stores.denylist.has(expired)).toBe(false);
      expect(await stores.denylist.has(live)).toBe(true);
    });
  });
}
