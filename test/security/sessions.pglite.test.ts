import { describe } from 'vitest';
import { defineStoreSuite } from './storeSuite.js';

/** Checklist items where the store matters (sessions, races, uniqueness, hashes), on the embedded PGlite store. */
describe('security: sessions and store on PGlite', () => {
  defineStoreSuite('pglite');
});
