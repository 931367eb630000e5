import { afterAll, beforeAll, describe } from 'vitest';
import { adminDatabaseUrl, createScratchDatabase, probePostgres, type ScratchDatabase } from '../contract/postgres.js';
import { defineStoreSuite } from './storeSuite.js';

/**
 * Checklist items where the store matters (sessions, rotation races, duplicate-registration race, uniqueness,
 * hashes, database outage), on PostgreSQL: a scratch database per run, dropped afterwards. Required under CI.
 */
const postgres = await probePostgres();
if (!postgres.reachable && !process.env.CI) {
  console.warn(`[security] SKIPPED the PostgreSQL store suite: ${adminDatabaseUrl()} is not reachable (${postgres.reason}).`);
}

describe.skipIf(!postgres.reachable && !process.env.CI)('security: sessions and store on PostgreSQL', () => {
  let database: ScratchDatabase;
  beforeAll(async () => {
    if (!postgres.reachable) throw new Error(`PostgreSQL is required when CI is set: ${adminDatabaseUrl()} (${postgres.reason})`);
    database = await createScratchDatabase('security');
  });
  afterAll(async () => {
    await database?.drop();
  });

  defineStoreSuite('postgres', () => database);
});
