#!/usr/bin/env node
// 4. Scale-out on this machine: the protected route (validateAuth) on one instance against two instances of the same
// app on different ports (sharing the PostgreSQL scratch database), autocannon's connections split across both
// ports. Rounds alternate between the two set-ups. The load generator runs on the same cores as the instances.
//   node bench/scale.mjs --rounds 5 --duration 3 --connections 50     (after npm run build)
import { availableParallelism } from 'node:os';
import { register } from './lib/app.mjs';
import { runStandalone } from './lib/context.mjs';
import { autocannon } from './lib/load.mjs';
import { alternate, fmt, median, numberArg } from './lib/stats.mjs';

export async function benchScale(context) {
  const rounds = numberArg('rounds', 5);
  const duration = numberArg('duration', 3);
  const connections = numberArg('connections', 50);
  const app = await context.app('postgres');
  const instances = [await app.start(), await app.start()];
  try {
    const { token } = await register(instances[0].url, 'bench-scale@example.com');
    const headers = { authorization: `Bearer ${token}` };
    const urls = instances.map((instance) => `${instance.url}/bench/protected`);
    for (const url of urls) {
      const response = await fetch(url, { headers });
      if (response.status !== 200) throw new Error(`${url} → ${response.status}`);
    }
    const setups = [
      { name: '1 instance', urls: urls.slice(0, 1), rps: [], p99: [], failures: 0 },
      { name: '2 instances', urls, rps: [], p99: [], failures: 0 },
    ];
    await autocannon({ urls, headers, connections, duration: 1 }); // warm-up both
    for (let round = 0; round < rounds; round++) {
      for (const setup of alternate(setups, round)) {
        const result = await autocannon({ urls: setup.urls, headers, connections, duration });
        setup.rps.push(result.rps);
        setup.p99.push(result.p99);
        setup.failures += result.failures;
      }
    }
    return section(setups, { rounds, duration, connections });
  } finally {
    for (const instance of instances) await instance.stop();
  }
}

function section(setups, { rounds, duration, connections }) {
  const [one, two] = setups.map((setup) => median(setup.rps));
  return {
    id: 'scale',
    title: '4. Scale: 1 vs 2 instances',
    setup:
      `GET /bench/protected (validateAuth), ${rounds} alternating rounds × ${duration} s, ${connections} connections in total ` +
      `(split evenly across the instances' ports), PostgreSQL store, ${availableParallelism()} cores shared by the ` +
      'instances and the load generator.',
    columns: ['set-up', 'req/s', 'p99 ms', '× 1 instance', 'non-2xx/errors', 'req/s per round'],
    rows: setups.map((setup) => [
      setup.name,
      fmt(median(setup.rps)),
      fmt(median(setup.p99), 1),
      fmt(median(setup.rps) / one, 2),
      String(setup.failures),
      setup.rps.map((value) => fmt(value)).join(' '),
    ]),
    targets: [],
    notes: [
      `Two instances give ${fmt(two / one, 2)}× the throughput of one. The load generator runs on the same ` +
        `${availableParallelism()} cores, so 2× is out of reach here by construction.`,
    ],
    chart: {
      title: '4. Scale — protected route, requests/s (higher is better)',
      unit: 'req/s',
      bars: setups.map((setup) => ({ label: setup.name, value: median(setup.rps), highlight: true })),
    },
  };
}

await runStandalone(import.meta.url, benchScale);
