#!/usr/bin/env node
// 2. What a login costs beyond bcrypt, and what a burst of logins costs everyone else. POST /api/auth/login latency
// (sequential) against a raw bcryptjs.compareSync at the same cost on a worker thread; logins/s during a burst against
// raw compares/s on as many worker threads as the app's hashing pool; and, during the burst, the app's own
// event-loop delay and the latency of GET /health from this process, against the same measures at rest and against
// the delay the same burst causes on an event loop that hashes itself (what moving bcrypt to workers saved).
//   node bench/login.mjs --cost 12 --rounds 5 --burst 16 --sequential 4     (after npm run build)
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import bcrypt from 'bcryptjs';
import { postJson, register } from './lib/app.mjs';
import { startComparePool } from './lib/bcrypt-pool.mjs';
import { runStandalone } from './lib/context.mjs';
import { alternate, fmt, median, numberArg, percentile } from './lib/stats.mjs';

const PASSWORD = 'correct horse battery staple';
const EMAIL = 'bench-login@example.com';
// The templates' pool: min(2, cores) workers.
const POOL_SIZE = Math.min(2, availableParallelism());

export async function benchLogin(context) {
  const cost = numberArg('cost', 12);
  const rounds = numberArg('rounds', 5);
  const burst = numberArg('burst', 16);
  const sequential = numberArg('sequential', 4);
  const app = await context.app('pglite');
  const instance = await app.start({ BCRYPT_COST: String(cost) });
  const pool = startComparePool(POOL_SIZE);
  try {
    await register(instance.url, EMAIL, PASSWORD);
    const hash = bcrypt.hashSync(PASSWORD, cost);
    const probe = appProbe(instance.url);
    const login = async () => {
      const started = performance.now();
      const response = await postJson(`${instance.url}/api/auth/login`, { email: EMAIL, password: PASSWORD });
      if (response.status !== 200) throw new Error(`login → ${response.status} ${JSON.stringify(response.body)}`);
      return performance.now() - started;
    };
    // On a worker thread like the app's (same bcryptjs build, same hand-off), so the baseline differs from a
    // login only by what a login adds: HTTP, the store lookup, the token.
    const rawCompare = () => pool.burst(1, PASSWORD, hash);

    await Promise.all(Array.from({ length: POOL_SIZE }, login)); // warm-up: JIT, every hashing worker started
    await pool.burst(POOL_SIZE, PASSWORD, hash);
    const s = { login: [], compare: [], loginRate: [], rawRate: [], idle: [], busy: [] };
    for (let round = 0; round < rounds; round++) {
      const latencySteps = [
        async () => {
          for (let i = 0; i < sequential; i++) s.login.push(await login());
        },
        async () => {
          for (let i = 0; i < sequential; i++) s.compare.push(await rawCompare());
        },
      ];
      for (const step of alternate(latencySteps, round)) await step();

      // Throughput without the probe: its requests would take CPU from bcrypt on a small machine.
      const burstSteps = [
        async () => {
          const started = performance.now();
          await Promise.all(Array.from({ length: burst }, login));
          s.loginRate.push((burst / (performance.now() - started)) * 1000);
        },
        async () => {
          s.rawRate.push((burst / (await pool.burst(burst, PASSWORD, hash))) * 1000);
        },
      ];
      for (const step of alternate(burstSteps, round)) await step();

      s.idle.push(await probe.during(() => new Promise((resolve) => setTimeout(resolve, 1000))));
      s.busy.push(await probe.during(() => Promise.all(Array.from({ length: burst }, login))));
    }
    // What the same burst would do to an event loop if bcryptjs ran on it (the 'before' of moving it to workers).
    s.mainThread = await mainThreadStall(burst, hash);
    return section(s, { cost, rounds, burst, sequential });
  } finally {
    await pool.close();
    await instance.stop();
  }
}

/** bcryptjs's async compare on this process's own event loop, `burst` at once: the loop delay it causes. */
async function mainThreadStall(burst, hash) {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const started = performance.now();
  await Promise.all(Array.from({ length: burst }, () => bcrypt.compare(PASSWORD, hash)));
  const elapsed = performance.now() - started;
  delay.disable();
  return { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6, rate: (burst / elapsed) * 1000 };
}

/** Measures, while `work` runs, the app's event-loop delay and how long GET /health takes from here. */
function appProbe(baseUrl) {
  const health = async () => {
    const started = performance.now();
    await fetch(`${baseUrl}/health`).then((response) => response.arrayBuffer());
    return performance.now() - started;
  };
  return {
    async during(work) {
      await fetch(`${baseUrl}/bench/loop-delay/reset`, { method: 'POST' }).then((response) => response.arrayBuffer());
      let done = false;
      const latencies = [];
      const probing = (async () => {
        while (!done) {
          latencies.push(await health());
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      const started = performance.now();
      await work();
      const elapsed = performance.now() - started;
      done = true;
      await probing;
      const loop = await fetch(`${baseUrl}/bench/loop-delay`).then((response) => response.json());
      return { elapsed, healthP50: percentile(latencies, 50), healthP99: percentile(latencies, 99), loopP99: loop.p99, loopMax: loop.max };
    },
  };
}

function section(s, { cost, rounds, burst, sequential }) {
  const loginMs = median(s.login);
  const compareMs = median(s.compare);
  const loginRate = median(s.loginRate);
  const rawRate = median(s.rawRate);
  const m = (list, key) => median(list.map((entry) => entry[key]));
  const latencyRatio = loginMs / compareMs;
  const rateRatio = loginRate / rawRate;
  return {
    id: 'login',
    title: '2. Login',
    setup:
      `bcrypt cost ${cost} (bcryptjs), PGlite store, ${rounds} rounds; each round: ${sequential} sequential logins and ` +
      `${sequential} raw compares (on one worker thread, like the app's), then a burst of ${burst} concurrent logins and ${burst} raw compares on ${POOL_SIZE} ` +
      "worker threads (the app's pool size), each pair's order flipping every round; then 1 s at rest and one more " +
      'login burst, both probed: the event-loop delay is the app\'s own (perf_hooks.monitorEventLoopDelay, 1 ms ' +
      'resolution) and GET /health is sent from the benchmark process every 5 ms (not during the throughput bursts).',
    columns: ['measure', 'login', 'raw bcrypt', 'login ÷ raw'],
    rows: [
      ['latency, sequential (ms, median)', fmt(loginMs, 1), fmt(compareMs, 1), fmt(latencyRatio, 3)],
      [`throughput, burst of ${burst} (per s)`, fmt(loginRate, 2), fmt(rawRate, 2), fmt(rateRatio, 3)],
    ],
    // Within 5% either way: a login that looks faster than the compare inside it is noise, not a result.
    targets: [
      { label: 'login latency within 5% of raw bcrypt.compare', measured: `${fmt((latencyRatio - 1) * 100, 1)}%`, met: Math.abs(latencyRatio - 1) <= 0.05 },
      { label: 'logins/s within 5% of raw compares/s', measured: `${fmt((rateRatio - 1) * 100, 1)}%`, met: Math.abs(rateRatio - 1) <= 0.05 },
    ],
    notes: [
      `Event-loop delay of the app, p99 / max: ${fmt(m(s.idle, 'loopP99'), 1)} / ${fmt(m(s.idle, 'loopMax'), 1)} ms at rest, ` +
        `${fmt(m(s.busy, 'loopP99'), 1)} / ${fmt(m(s.busy, 'loopMax'), 1)} ms during the login burst (bcrypt runs in worker threads).`,
      `Before: the same burst of ${burst} bcryptjs compares run on an event loop (this process, bcryptjs's async API) delays it by ` +
        `${fmt(s.mainThread.p99, 1)} ms at p99, ${fmt(s.mainThread.max, 1)} ms at most, at ${fmt(s.mainThread.rate, 2)} compares/s (one core).`,
      `GET /health from another client, p50 / p99: ${fmt(m(s.idle, 'healthP50'), 1)} / ${fmt(m(s.idle, 'healthP99'), 1)} ms at rest, ` +
        `${fmt(m(s.busy, 'healthP50'), 1)} / ${fmt(m(s.busy, 'healthP99'), 1)} ms during the burst (the burst keeps both cores busy with bcrypt).`,
    ],
    chart: {
      title: `2. Login — latency at bcrypt cost ${cost}, ms (lower is better)`,
      unit: 'ms',
      bars: [
        { label: 'POST /api/auth/login', value: loginMs, highlight: true },
        { label: 'raw bcrypt.compareSync', value: compareMs },
      ],
    },
  };
}

await runStandalone(import.meta.url, benchLogin);
