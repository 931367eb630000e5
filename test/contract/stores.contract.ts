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

    const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');
    const newSuccessor = (expiresAt = inDays(30)) => ({ tokenHash: hashOf(randomBytes(32).toString('base64url')), expiresAt });

    /** A refresh token as the service makes one: only the SHA-256 of the token goes to the store. */
    async function saveToken(userId: string, options: { familyId?: string; expiresAt?: Date; tokenVersion?: number } = {}) {
      const token = randomBytes(32).toString('base64url');
      const tokenHash = hashOf(token);
      const expiresAt = options.expiresAt ?? inDays(30);
      const familyId = options.familyId ?? randomUUID();
      const tokenVersion = options.tokenVersion ?? 0;
      await stores.refreshTokens.save({ tokenHash, familyId, userId, expiresAt, familyExpiresAt: expiresAt, tokenVersion });
      return { token, tokenHash, familyId };
    }

    /** Rows of one family as the database holds them. */
    async function familyRows(familyId: string) {
      return (await harness.rawRefreshTokens()).filter((row) => JSON.stringify(row).includes(familyId));
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

    it('replaces the password hash only while it is still the expected one, for one user only', async () => {
      const user = await newUser();
      const bystander = await newUser();
      expect(await stores.users.updatePasswordHash(user.id, '$2b$12$new-hash', '$2b$10$not-the-hash')).toBe(false);
      expect((await stores.users.findByEmail(user.email))?.passwordHash).toBe('$2b$10$hash');
      expect(await stores.users.updatePasswordHash(user.id, '$2b$12$new-hash', '$2b$10$hash')).toBe(true);
      expect((await stores.users.findByEmail(user.email))?.passwordHash).toBe('$2b$12$new-hash');
      expect((await stores.users.findByEmail(bystander.email))?.passwordHash).toBe('$2b$10$hash');
      expect((await stores.users.findById(user.id))?.tokenVersion).toBe(0); // a re-hash ends no session
      expect(await stores.users.updatePasswordHash(harness.unknownUserId(), '$2b$12$other', '$2b$10$hash')).toBe(false);
      for (const id of ['', 'nope', '{"$gt":""}']) expect(await stores.users.updatePasswordHash(id, '$2b$12$other', '$2b$10$hash')).toBe(false);
      expect((await stores.users.findByEmail(bystander.email))?.passwordHash).toBe('$2b$10$hash');
    });

    it('lets exactly one of two simultaneous password changes win', async () => {
      const user = await newUser();
      const results = await Promise.all(
        ['$2b$12$first', '$2b$12$second'].map((hash) => stores.users.updatePasswordHash(user.id, hash, '$2b$10$hash')),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(['$2b$12$first', '$2b$12$second']).toContain((await stores.users.findByEmail(user.email))?.passwordHash);
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

    it('rotates a token once: marks it used and saves its successor in the family, together', async () => {
      const user = await newUser();
      const { tokenHash, familyId } = await saveToken(user.id, { tokenVersion: 3 });
      const now = new Date();
      const successor = newSuccessor();
      const rotated = await stores.refreshTokens.rotate(tokenHash, now, successor);
      // The presented token as it was before the rotation.
      expect(rotated).toMatchObject({ tokenHash, familyId, userId: user.id, tokenVersion: 3, usedAt: null, revokedAt: null });
      expect((await stores.refreshTokens.findByHash(tokenHash))?.usedAt?.getTime()).toBe(now.getTime());
      expect(await stores.refreshTokens.findByHash(successor.tokenHash)).toMatchObject({
        familyId,
        userId: user.id,
        tokenVersion: 3,
        usedAt: null,
        revokedAt: null,
      });
      // A second rotation of the same token: nothing changes, nothing is saved.
      expect(await stores.refreshTokens.rotate(tokenHash, new Date(), newSuccessor())).toBeNull();
      expect(await familyRows(familyId)).toHaveLength(2);
      expect(await stores.refreshTokens.rotate('0'.repeat(64), new Date(), newSuccessor())).toBeNull();
    });

    it("never extends the family's absolute expiry", async () => {
      const user = await newUser();
      const familyEnd = inDays(2);
      const { tokenHash } = await saveToken(user.id, { expiresAt: familyEnd });
      const successor = newSuccessor(inDays(30));
      await stores.refreshTokens.rotate(tokenHash, new Date(), successor);
      const saved = await stores.refreshTokens.findByHash(successor.tokenHash);
      expect(saved?.expiresAt.getTime()).toBe(familyEnd.getTime());
      expect(saved?.familyExpiresAt.getTime()).toBe(familyEnd.getTime());
    });

    it('lets exactly one of 20 concurrent rotations of one token win, with exactly one successor', async () => {
      const user = await newUser();
      const { tokenHash, familyId } = await saveToken(user.id);
      const now = new Date();
      const results = await Promise.all(Array.from({ length: 20 }, () => stores.refreshTokens.rotate(tokenHash, now, newSuccessor())));
      expect(results.filter((result) => result !== null)).toHaveLength(1);
      expect(await familyRows(familyId)).toHaveLength(2);
    });

    it('inside the grace window, a token used since then gets a successor of its own and stays as it is', async () => {
      const user = await newUser();
      const { tokenHash, familyId } = await saveToken(user.id);
      const usedAt = new Date();
      await stores.refreshTokens.rotate(tokenHash, usedAt, newSuccessor());
      const later = new Date(usedAt.getTime() + 2000);
      const sibling = newSuccessor();
      const concurrent = await stores.refreshTokens.rotate(tokenHash, later, sibling, new Date(usedAt.getTime() - 1000));
      expect(concurrent?.usedAt?.getTime()).toBe(usedAt.getTime());
      expect(await stores.refreshTokens.findByHash(sibling.tokenHash)).toMatchObject({ familyId, usedAt: null });
      expect((await stores.refreshTokens.findByHash(tokenHash))?.usedAt?.getTime()).toBe(usedAt.getTime());
      // Used before the window opened: nothing.
      expect(await stores.refreshTokens.rotate(tokenHash, later, newSuccessor(), new Date(usedAt.getTime() + 1))).toBeNull();
      expect(await familyRows(familyId)).toHaveLength(3);
    });

    it('a successor that cannot be saved leaves the presented token unused', async () => {
      const user = await newUser();
      const { tokenHash } = await saveToken(user.id);
      const taken = await saveToken(user.id); // its hash is already stored: saving it again must fail
      await expect(stores.refreshTokens.rotate(tokenHash, new Date(), { tokenHash: taken.tokenHash, expiresAt: inDays(30) })).rejects.toThrow();
      expect((await stores.refreshTokens.findByHash(tokenHash))?.usedAt).toBeNull();
      expect(await stores.refreshTokens.rotate(tokenHash, new Date(), newSuccessor())).not.toBeNull();
    });

    it('a revocation racing with rotations leaves no live token in the family', async () => {
      for (let round = 0; round < 10; round++) {
        const user = await newUser();
        const { tokenHash, familyId } = await saveToken(user.id);
        await Promise.all([
          stores.refreshTokens.rotate(tokenHash, new Date(), newSuccessor()),
          stores.refreshTokens.revokeFamily(familyId, new Date()),
          stores.refreshTokens.rotate(tokenHash, new Date(), newSuccessor()),
        ]);
        const live = (await familyRows(familyId)).filter((row) => (row.revoked_at ?? row.revokedAt ?? null) === null);
        expect(live, `round ${round}`).toEqual([]);
      }
    });

    it('revokes a whole family and nothing else', async () => {
      const user = await newUser();
      const familyId = randomUUID();
      const first = await saveToken(user.id, { familyId });
      const second = await saveToken(user.id, { familyId });
      const otherFamily = await saveToken(user.id);
      await stores.refreshTokens.revokeFamily(familyId, new Date());
      expect(await stores.refreshTokens.rotate(first.tokenHash, new Date(), newSuccessor())).toBeNull();
      expect(await stores.refreshTokens.rotate(second.tokenHash, new Date(), newSuccessor(), new Date(0))).toBeNull();
      expect((await stores.refreshTokens.findByHash(first.tokenHash))?.revokedAt).toBeInstanceOf(Date);
      expect(await stores.refreshTokens.rotate(otherFamily.tokenHash, new Date(), newSuccessor())).not.toBeNull();
    });

    it("revokes every token of a user and none of another user's", async () => {
      const [user, other] = await Promise.all([newUser(), newUser()]);
      const tokens = [await saveToken(user.id), await saveToken(user.id)];
      const othersToken = await saveToken(other.id);
      await stores.refreshTokens.revokeAllForUser(user.id, new Date());
      for (const { tokenHash } of tokens) {
        expect(await stores.refreshTokens.rotate(tokenHash, new Date(), newSuccessor())).toBeNull();
      }
      expect(await stores.refreshTokens.rotate(othersToken.tokenHash, new Date(), newSuccessor())).not.toBeNull();
      await stores.refreshTokens.revokeAllForUser(harness.unknownUserId(), new Date());
    });

    it('rejects expired tokens and deletes them, keeping live ones', async () => {
      const user = await newUser();
      const expired = await saveToken(user.id, { expiresAt: new Date(Date.now() - 1000) });
      const live = await saveToken(user.id);
      expect(await stores.refreshTokens.rotate(expired.tokenHash, new Date(), newSuccessor())).toBeNull();

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
