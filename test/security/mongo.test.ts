import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthApi, boot, PASSWORD, scaffoldApp, uniqueEmail, type RunningApp, type ScaffoldedApp } from './harness.js';

/**
 * The Mongo-only halves of checklist items 21 (the denylist's TTL index) and 30 (sanitizeFilter against operator
 * injection in the store itself): they need a MongoDB server, so they run only when MONGODB_URI is reachable.
 * The input-validation half of 30 (400 before any query) runs on PGlite in input.test.ts.
 */
const uri = process.env.MONGODB_URI;
const reachable = uri ? await probe(uri) : 'MONGODB_URI is not set';
if (reachable !== true) console.warn(`[security] SKIPPED the MongoDB items (21 TTL index, 30 sanitizeFilter): ${reachable}.`);

async function probe(url: string): Promise<true | string> {
  const connection = mongoose.createConnection(url, { serverSelectionTimeoutMS: 2000 });
  try {
    await connection.asPromise();
    return true;
  } catch (error) {
    return `${url} is not reachable (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

describe.skipIf(reachable !== true)('security: the MongoDB store', () => {
  const database = `backternity_security_${Date.now()}`;
  let scaffolded: ScaffoldedApp;
  let app: RunningApp;
  let api: AuthApi;
  let connection: mongoose.Connection;

  beforeAll(async () => {
    const url = new URL(uri!);
    url.pathname = `/${database}`;
    scaffolded = scaffoldApp('mongodb');
    app = await boot(scaffolded, { MONGODB_URI: url.toString() });
    api = new AuthApi(app.url);
    connection = await mongoose.createConnection(url.toString()).asPromise();
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await connection?.dropDatabase().catch(() => undefined);
    await connection?.close();
    scaffolded?.cleanup();
  });

  it('21. the denylist holds the jti with expiresAt = exp, under a TTL index (expireAfterSeconds: 0)', async () => {
    const { session } = await api.signUp();
    expect((await api.post('/logout', { refreshToken: session.refresh }, { token: session.token })).status).toBe(200);
    const jti = JSON.parse(Buffer.from(session.token.split('.')[1]!, 'base64url').toString()).jti;
    const collections = await connection.db!.listCollections().toArray();
    let found = false;
    for (const { name } of collections) {
      const record = await connection.db!.collection(name).findOne({ jti });
      if (!record) continue;
      found = true;
      const indexes = await connection.db!.collection(name).indexes();
      expect(indexes.some((index) => index.expireAfterSeconds === 0 && 'expiresAt' in index.key)).toBe(true);
    }
    expect(found).toBe(true);
  });

  it('30. operator objects never reach a query: login/refresh answer 400, never 200 or 500', async () => {
    await api.signUp(uniqueEmail('mongo'), PASSWORD);
    expect((await api.post('/login', { email: { $gt: '' }, password: PASSWORD })).status).toBe(400);
    expect((await api.post('/login', { email: { $ne: null }, password: { $ne: null } })).status).toBe(400);
    expect((await api.post('/refresh', { refreshToken: { $ne: '' } })).status).toBe(400);
  });
});
