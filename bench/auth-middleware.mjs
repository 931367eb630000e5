#!/usr/bin/env node
// What the auth middleware costs a route: GET /api/auth/me (validateAuth + respond) against the same app's bare
// JSON route (/health), in one run, alternated over several rounds so machine noise hits both alike. autocannon
// runs as its own process over loopback. Prints medians of requests/s and p99 latency, and the ratio.
// Not a test: nothing here passes or fails (target from issue 4: the middleware costs under 10%).
//   npm run bench:auth       (builds first)
//   node bench/auth-middleware.mjs --rounds 5 --duration 5 --connections 50
import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../scripts/sandbox.mjs';
import { median, numberArg, postJson, printTable, startAuthApp } from './auth-app.mjs';

const rounds = numberArg('rounds', 3);
const duration = numberArg('duration', 5);
const connections = numberArg('connections', 50);
const autocannonBin = path.join(repoRoot, 'node_modules', 'autocannon', 'autocannon.js');

/** One autocannon run; resolves with its JSON summary. */
function autocannon(url, headers = {}) {
  const args = [autocannonBin, '--json', '-c', String(connections), '-d', String(duration)];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}=${value}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`autocannon exited ${code}: ${err}`))));
  });
}

const app = await startAuthApp({ BCRYPT_COST: '10' });
try {
  const registered = await postJson(`${app.url}/api/auth/register`, { email: 'bench@example.com', password: 'correct horse battery staple' });
  if (registered.status !== 201) throw new Error(`register → ${registered.status} ${JSON.stringify(registered.body)}`);
  const token = registered.body.data.token;
  const targets = [
    { name: 'GET /health (bare JSON route)', url: `${app.url}/health`, headers: {} },
    { name: 'GET /api/auth/me (validateAuth)', url: `${app.url}/api/auth/me`, headers: { authorization: `Bearer ${token}` } },
  ];
  const samples = new Map(targets.map((target) => [target.name, { rps: [], p99: [], non2xx: 0 }]));

  console.log(`auth middleware: ${rounds} rounds × ${duration} s per route, ${connections} connections, Node ${process.version}`);
  for (let round = 0; round < rounds; round++) {
    // Alternate which route goes first so warm-up and drift are shared.
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      const result = await autocannon(target.url, target.headers);
      const sample = samples.get(target.name);
      sample.rps.push(result.requests.average);
      sample.p99.push(result.latency.p99);
      sample.non2xx += result.non2xx + result.errors;
    }
  }

  const rows = [['route', 'req/s (median)', 'p99 ms (median)', 'non-2xx/errors', 'req/s per round']];
  for (const target of targets) {
    const sample = samples.get(target.name);
    const perRound = sample.rps.map((value) => value.toFixed(0)).join(' ');
    rows.push([target.name, median(sample.rps).toFixed(0), median(sample.p99).toFixed(1), String(sample.non2xx), perRound]);
  }
  printTable(rows);
  const bare = median(samples.get(targets[0].name).rps);
  const auth = median(samples.get(targets[1].name).rps);
  console.log(`ratio /me ÷ /health throughput: ${(auth / bare).toFixed(3)} (auth costs ${((1 - auth / bare) * 100).toFixed(1)}% of a bare route; target < 10%)`);
} finally {
  await app.stop();
}
