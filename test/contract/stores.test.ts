import { randomBytes, randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import mongoose from 'mongoose';
import pg from 'pg';
import { describe, it } from 'vitest';
import type * as AuthServiceModule from '../../templates/auth-jwt/base/services/authService.js';
import { layOutTemplates, prepareAuthEnv } from './layout.js';
import { defineStoreContract, type StoreHarness } from './stores.contract.js';
import { adminDatabaseUrl, createScratchDatabase, probePostgres } from './postgres.js';

/**
 * The store contract against every store this machine can reach: PGlite always (in memory), PostgreSQL
 * (required when CI is set), MongoDB only when MONGODB_URI points at a running server.
 */
prepareAuthEnv();

// The drivers' models/index.ts, typed by hand: in the templates tree their `../services` imports only
// resolve once the files are laid out as in an app, which layOutTemplates does at run time.
type AuthStores = AuthServiceModule.AuthStores;
interface PgliteIndex {
  createPgliteAuthStores(db: PGlite): Promise<AuthStores>;
}
interface ServerStoreIndex {
  openAuthStores(): Promise<AuthStores>;
}

defineStoreContract('PGlite', async (): Promise<StoreHarness> => {
  const layout = layOutTemplates('pglite');
  const { createPgliteAuthStores } = await layout.load<PgliteIndex>('models/index.ts');
  const db = new PGlite();
  const stores = await createPgliteAuthStores(db);
  return {
    stores,
    authService: await layout.load<typeof AuthServiceModule>('services/authService.ts'),
    rawRefreshTokens: async () => (await db.query<Record<string, unknown>>('SELECT * FROM auth_refresh_tokens')).rows,
    unknownUserId: () => randomUUID(),
    dispose: async () => {
      await stores.close();
      layout.remove();
    },
  };
});

const postgres = await probePostgres();
if (postgres.reachable) {
  defineStoreContract('PostgreSQL', async (): Promise<StoreHarness> => {
    const layout = layOutTemplates('postgres');
    const database = await createScratchDatabase('contract');
    // openAuthStores is the app's own start-up path: pool settings, advisory lock, schema.
    prepareAuthEnv({ DATABASE_URL: database.url });
    const { openAuthStores } = await layout.load<ServerStoreIndex>('models/index.ts');
    const stores = await openAuthStores();
    await openAuthStores().then((again) => again.close()); // the schema applies again without error
    const raw = new pg.Client({ connectionString: database.url });
    await raw.connect();
    return {
      stores,
      authService: await layout.load<typeof AuthServiceModule>('services/authService.ts'),
      rawRefreshTokens: async () => (await raw.query<Record<string, unknown>>('SELECT * FROM auth_refresh_tokens')).rows,
      unknownUserId: () => randomUUID(),
      dispose: async () => {
        await stores.close();
        await raw.end();
        await database.drop();
        layout.remove();
      },
    };
  });
} else if (process.env.CI) {
  describe('PostgreSQL store contract', () => {
    it('needs PostgreSQL when CI is set', () => {
      throw new Error(`PostgreSQL is not reachable at ${adminDatabaseUrl()} (${postgres.reason}); CI must run the PostgreSQL store tests.`);
    });
  });
} else {
  console.warn(`[contract] SKIPPED the PostgreSQL store contract: ${adminDatabaseUrl()} is not reachable (${postgres.reason}).`);
  describe.skip('PostgreSQL store contract (skipped: PostgreSQL not reachable)', () => {
    it('runs only when PostgreSQL is reachable', () => {});
  });
}

const mongo = await probeMongo(process.env.MONGODB_URI);
if (mongo.reachable) {
  defineStoreContract('MongoDB', async (): Promise<StoreHarness> => {
    const layout = layOutTemplates('mongodb');
    const dbName = `backternity_contract_${randomBytes(6).toString('hex')}`;
    prepareAuthEnv({ MONGODB_URI: withDatabase(mongo.uri, dbName) });
    const { openAuthStores } = await layout.load<ServerStoreIndex>('models/index.ts');
    const stores = await openAuthStores();
    return {
      stores,
      authService: await layout.load<typeof AuthServiceModule>('services/authService.ts'),
      rawRefreshTokens: async () => {
        const documents = await mongoose.connection.collection('auth_refresh_tokens').find({}).toArray();
        return documents.map((document) => ({ ...document }));
      },
      unknownUserId: () => new mongoose.Types.ObjectId().toString(),
      dispose: async () => {
        await mongoose.connection.dropDatabase();
        await stores.close();
        layout.remove();
      },
    };
  });
} else {
  console.warn(`[contract] SKIPPED the MongoDB store contract: ${mongo.reason}.`);
  describe.skip(`MongoDB store contract (skipped: ${mongo.reason})`, () => {
    it('runs only when MONGODB_URI points at a reachable server', () => {});
  });
}

type Probe = { reachable: true; uri: string } | { reachable: false; reason: string };

async function probeMongo(uri: string | undefined): Promise<Probe> {
  if (!uri) return { reachable: false, reason: 'MONGODB_URI is not set (no MongoDB server on this machine)' };
  const connection = mongoose.createConnection(uri, { serverSelectionTimeoutMS: 3000 });
  try {
    await connection.asPromise();
    return { reachable: true, uri };
  } catch (error) {
    return { reachable: false, reason: `MONGODB_URI is not reachable (${error instanceof Error ? error.message : String(error)})` };
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** The same server, another database: each run writes to its own and drops it. */
function withDatabase(uri: string, dbName: string): string {
  const url = new URL(uri);
  url.pathname = `/${dbName}`;
  return url.toString();
}
