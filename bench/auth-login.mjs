#!/usr/bin/env node
// Login cost against its floor, in one run: POST /api/auth/login latency and logins/s against a raw
// bcryptjs.compare at the same cost (in this process, one core), and the delay every other request sees while
// 20 logins run at once (GET /health latency during the burst vs idle). Rounds alternate; medians are printed.
// Not a test: nothing here passes or fails.
//   npm run bench:auth       (builds first)
//   node bench/auth-login.mjs --cost 12 --rounds 3 --burst 20
import { performance } from 'node:perf_hooks';
import bcrypt from 'bcryptjs';
import { median, numberArg, percentile, postJson, printTable, startAuthApp } from './auth-app.mjs';

const cost = numberArg('cost', 12);
const rounds = numberArg('rounds', 3);
const burst = numberArg('burst', 20);
const sequential = numberArg('sequential', 8);
const PASSWORD = 'correct horse battery staple';
const credentials = { email: 'bench-login@example.com', password: PASSWORD };

const app = await startAuthApp({ BCRYPT_COST: String(cost) });
try {
  const registered = await postJson(`${app.url}/api/auth/register`, credentials);
  if (registered.status !== 201) throw new Error(`register → ${registered.status} ${JSON.stringify(registered.body)}`);
  const hash = bcrypt.hashSync(PASSWORD, cost);

  const login = async () => {
    const started = performance.now();
    const response = await postJson(`${app.url}/api/auth/login`, credentials);
    if (response.status !== 200) throw new Error(`login → ${response.status}`);
    return performance.now() - started;
  };
  const rawCompare = async () => {
    const started = performance.now();
    if (!(await bcrypt.compare(PASSWORD, hash))) throw new Error('bcrypt.compare failed');
    return performance.now() - started;
  };
  const health = async () => {
    const started = performance.now();
    await fetch(`${app.url}/health`).then((response) => response.arrayBuffer());
    return performance.now() - started;
  };
  /** /health latencies sampled back to back while `work` runs. */
  const probeDuring = async (work) => {
    let done = false;
    const latencies = [];
    const probing = (async () => {
      while (!done) latencies.push(await health());
    })();
    const started = performance.now();
    await work();
    const elapsed = performance.now() - started;
    done = true;
    await probing;
    return { latencies, elapsed };
  };

  const loginMs = [];
  const compareMs = [];
  const burstRate = [];
  const rawRate = [];
  const idleHealth = [];
  const burstHealth = [];
  const burstHealthMax = [];
  await login(); // warm-up: JIT, pool start
  for (let round = 0; round < rounds; round++) {
    const steps = [
      async () => {
        for (let i = 0; i < sequential; i++) loginMs.push(await login());
      },
      async () => {
        for (let i = 0; i < sequential; i++) compareMs.push(await rawCompare());
      },
    ];
    for (const step of round % 2 === 0 ? steps : steps.reverse()) await step();

    const idle = await probeDuring(() => new Promise((resolve) => setTimeout(resolve, 500)));
    idleHealth.push(median(idle.latencies));
    const loaded = await probeDuring(() => Promise.all(Array.from({ length: burst }, login)));
    burstRate.push((burst / loaded.elapsed) * 1000);
    burstHealth.push(percentile(loaded.latencies, 99));
    burstHealthMax.push(Math.max(...loaded.latencies));

    const started = performance.now();
    for (let i = 0; i < burst; i++) await rawCompare();
    rawRate.push((burst / (performance.now() - started)) * 1000);
  }

  console.log(`login: bcrypt cost ${cost}, ${rounds} rounds, ${sequential} sequential logins/compares and a burst of ${burst} per round, Node ${process.version}`);
  printTable([
    ['measure', 'median'],
    ['POST /login latency (sequential) ms', median(loginMs).toFixed(1)],
    ['raw bcrypt.compare ms', median(compareMs).toFixed(1)],
    [`logins/s (burst of ${burst})`, median(burstRate).toFixed(1)],
    ['raw bcrypt.compare/s (one core)', median(rawRate).toFixed(1)],
    ['GET /health ms, idle (median)', median(idleHealth).toFixed(2)],
    [`GET /health ms during the burst (p99)`, median(burstHealth).toFixed(1)],
    [`GET /health ms during the burst (max)`, median(burstHealthMax).toFixed(1)],
  ]);
  console.log(`ratio login ÷ raw compare latency: ${(median(loginMs) / median(compareMs)).toFixed(2)}`);
  console.log(`ratio logins/s ÷ raw compares/s: ${(median(burstRate) / median(rawRate)).toFixed(2)}`);
  console.log(`ratio /health p99 under burst ÷ idle median: ${(median(burstHealth) / median(idleHealth)).toFixed(1)}`);
} finally {
  await app.stop();
}
