#!/usr/bin/env node
// 3. Refresh-token rotation: refreshes/s and latency on PostgreSQL and on PGlite (rounds alternating between the
// two apps), from a separate load process running one rotation chain per connection (bench/lib/refresh-load.mjs);
// and what one refresh costs in database round trips on PostgreSQL, counted exactly on the wire
// (bench/lib/pg-wire.mjs) — with the same count for a login and for protected requests, for scale.
//   node bench/refresh.mjs --rounds 5 --duration 3 --chains 8     (after npm run build)
import path from 'node:path';
import { postJson, register } from './lib/app.mjs';
import { runStandalone } from './lib/context.mjs';
import { runNode } from './lib/load.mjs';
import { startPgWireCounter } from './lib/pg-wire.mjs';
import { alternate, fmt, median, numberArg } from './lib/stats.mjs';

const LOAD = path.join(import.meta.dirname, 'lib', 'refresh-load.mjs');
const PASSWORD = 'correct horse battery staple';
const STORE_NAMES = { postgres: 'PostgreSQL 127.0.0.1', pglite: 'PGlite (in-process)' };

export async function benchRefresh(context) {
  const rounds = numberArg('rounds', 5);
  const duration = numberArg('duration', 3);
  const chains = numberArg('chains', 8);
  const stores = [];
  try {
    for (const db of ['postgres', 'pglite']) {
      const app = await context.app(db);
      const instance = await app.start();
      stores.push({ db, app, instance, tokens: [], samples: { rps: [], p50: [], p99: [], failures: 0 } });
    }
    for (const store of stores) {
      for (let i = 0; i < chains; i++) store.tokens.push((await register(store.instance.url, `bench-refresh-${i}@example.com`)).refresh);
      store.tokens = (await refreshLoad(store, 1)).tokens; // warm-up
    }
    for (let round = 0; round < rounds; round++) {
      for (const store of alternate(stores, round)) {
        const result = await refreshLoad(store, duration);
        store.tokens = result.tokens;
        store.samples.rps.push(result.rps);
        store.samples.p50.push(result.p50);
        store.samples.p99.push(result.p99);
        store.samples.failures += result.failures;
      }
    }
  } finally {
    for (const store of stores) await store.instance.stop();
  }
  const postgres = stores.find((store) => store.db === 'postgres');
  const trips = await countRoundTrips(postgres.app);
  return section(stores, trips, { rounds, duration, chains });
}

async function refreshLoad(store, seconds) {
  return JSON.parse(await runNode([LOAD, store.instance.url, String(seconds)], { input: JSON.stringify(store.tokens) }));
}

/** Boots one more instance whose database connections go through the counting proxy, and counts per operation. */
async function countRoundTrips(app) {
  const database = new URL(app.database.url);
  const counter = await startPgWireCounter({ host: database.hostname, port: Number(database.port || 5432) });
  const proxied = new URL(database);
  proxied.port = String(counter.port);
  const instance = await app.start({ DATABASE_URL: proxied.href });
  try {
    const url = instance.url;
    const session = await register(url, 'bench-round-trips@example.com', PASSWORD);
    await postJson(`${url}/api/auth/refresh`, { refreshToken: session.refresh }); // opens pool connections
    counter.take();
    const login = await postJson(`${url}/api/auth/login`, { email: 'bench-round-trips@example.com', password: PASSWORD });
    const loginTrips = counter.take();
    let refresh = login.body.data.refresh;
    const perRefresh = [];
    let oneRefresh;
    for (let i = 0; i < 20; i++) {
      const response = await postJson(`${url}/api/auth/refresh`, { refreshToken: refresh });
      if (response.status !== 200) throw new Error(`refresh → ${response.status} ${JSON.stringify(response.body)}`);
      refresh = response.body.data.refresh;
      const taken = counter.take();
      perRefresh.push(taken.roundTrips);
      oneRefresh ??= taken;
    }
    const headers = { authorization: `Bearer ${login.body.data.token}` };
    const protectedRequests = 200;
    for (let i = 0; i < protectedRequests; i++) await fetch(`${url}/bench/protected`, { headers }).then((r) => r.arrayBuffer());
    const protectedTrips = counter.take();
    return { login: loginTrips, perRefresh, oneRefresh, protectedRequests, protectedTrips };
  } finally {
    await instance.stop();
    await counter.close();
  }
}

function section(stores, trips, { rounds, duration, chains }) {
  const rps = (store) => median(store.samples.rps);
  const [postgres, pglite] = stores;
  const statements = trips.oneRefresh.statements.map((sql) => `\`${sql.replace(/\s+/g, ' ').trim()}\``);
  return {
    id: 'refresh',
    title: '3. Refresh',
    setup:
      `POST /api/auth/refresh with rotation (each answer's token is the next request's), ${chains} concurrent chains ` +
      `from a separate process, ${rounds} rounds × ${duration} s per store, alternating. PostgreSQL is a scratch ` +
      'database on 127.0.0.1:5432 (dropped afterwards); PGlite runs inside the app process.',
    columns: ['store', 'refreshes/s', 'p50 ms', 'p99 ms', 'failures', 'refreshes/s per round'],
    rows: stores.map((store) => [
      STORE_NAMES[store.db],
      fmt(rps(store), 1),
      fmt(median(store.samples.p50), 1),
      fmt(median(store.samples.p99), 1),
      String(store.samples.failures),
      store.samples.rps.map((value) => fmt(value)).join(' '),
    ]),
    targets: [],
    notes: [
      `PostgreSQL ÷ PGlite throughput: ${fmt(rps(postgres) / rps(pglite), 2)}×.`,
      `Database round trips on PostgreSQL, counted on the wire by a proxy that reads the protocol (one ReadyForQuery per ` +
        `round trip): one refresh = ${fmt(median(trips.perRefresh))} (min ${Math.min(...trips.perRefresh)}, max ` +
        `${Math.max(...trips.perRefresh)} over ${trips.perRefresh.length} refreshes); one login = ${trips.login.roundTrips}; ` +
        `${trips.protectedRequests} protected requests with one token = ${trips.protectedTrips.roundTrips} in total ` +
        '(the per-user cache answers the rest).',
      `The statements of one refresh: ${statements.join('; ')}.`,
    ],
    chart: {
      title: '3. Refresh — refreshes/s (higher is better)',
      unit: '/s',
      bars: stores.map((store) => ({ label: STORE_NAMES[store.db], value: rps(store), highlight: true })),
    },
  };
}

await runStandalone(import.meta.url, benchRefresh);
