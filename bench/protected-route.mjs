#!/usr/bin/env node
// 1. What checking an access token costs a route: the same tiny JSON route with no auth (the limit), behind the
// generated validateAuth, behind express-jwt and behind passport-jwt (both pinned like the kit: HS256, issuer,
// audience, the same KeyObject). One app process serves all four; autocannon (its own process) loads one route at a
// time, the order alternating every round. Reports median requests/s and p99 latency and the ratios. Before measuring,
// every guarded route must accept the token and refuse it re-signed with HS512, another issuer or another audience.
//   node bench/protected-route.mjs --rounds 5 --duration 3 --connections 50     (after npm run build)
import fs from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';
import jwt from 'jsonwebtoken';
import { register } from './lib/app.mjs';
import { runStandalone } from './lib/context.mjs';
import { autocannon } from './lib/load.mjs';
import { alternate, fmt, median, numberArg } from './lib/stats.mjs';

const OPEN = 'no auth (the limit)';
const OURS = 'validateAuth (backternity)';

export async function benchProtectedRoute(context) {
  const rounds = numberArg('rounds', 5);
  const duration = numberArg('duration', 3);
  const connections = numberArg('connections', 50);
  const app = await context.app('pglite');
  const instance = await app.start();
  try {
    const { token } = await register(instance.url, 'bench-protected@example.com');
    const targets = [
      { name: OPEN, path: '/bench/open' },
      { name: OURS, path: '/bench/protected' },
      { name: 'express-jwt 8', path: '/bench/express-jwt' },
      { name: 'passport-jwt 4', path: '/bench/passport-jwt' },
      // The kit's own protected route: validateAuth plus the auth router's no-store headers and body checks.
      { name: 'GET /api/auth/me', path: '/api/auth/me' },
    ].map((target) => ({ ...target, url: instance.url + target.path }));
    const headers = { authorization: `Bearer ${token}` };
    await assertGuarded(targets, headers);
    await assertPinned(targets, token, readSecret(app.dir));

    for (const target of targets) await autocannon({ urls: [target.url], headers, connections, duration: 1 }); // warm-up
    const cpu = async () => (await (await fetch(`${instance.url}/bench/cpu`)).json()).micros;
    const samples = new Map(targets.map((target) => [target.name, { rps: [], p99: [], cpu: [], failures: 0 }]));
    for (let round = 0; round < rounds; round++) {
      for (const target of alternate(targets, round)) {
        const before = await cpu();
        const result = await autocannon({ urls: [target.url], headers, connections, duration });
        const after = await cpu();
        const sample = samples.get(target.name);
        sample.rps.push(result.rps);
        sample.p99.push(result.p99);
        sample.cpu.push((after - before) / Math.max(1, result.requests));
        sample.failures += result.failures;
      }
    }
    return section({ targets, samples, rounds, duration, connections });
  } finally {
    await instance.stop();
  }
}

/** Every guarded route must answer 200 with the token and 401 without it, or the numbers would mean nothing. */
async function assertGuarded(targets, headers) {
  for (const target of targets) {
    const withToken = await fetch(target.url, { headers });
    if (withToken.status !== 200) throw new Error(`${target.path} with the token → ${withToken.status} ${await withToken.text()}`);
    const body = await withToken.json();
    if (typeof (body?.data?.id ?? body?.data?.user?.id) !== 'string') throw new Error(`${target.path} answered ${JSON.stringify(body)}`);
    if (target.name === OPEN) continue;
    const without = await fetch(target.url);
    if (without.status !== 401) throw new Error(`${target.path} without a token → ${without.status}, expected 401`);
  }
}

function readSecret(dir) {
  return dotenv.parse(fs.readFileSync(path.join(dir, '.env'), 'utf8')).JWT_SECRET;
}

/**
 * The pinning is really the same: re-signed copies of a good token with another algorithm, issuer or audience
 * (same secret) must be refused by every guarded route.
 */
async function assertPinned(targets, token, secret) {
  const { header, payload } = jwt.decode(token, { complete: true });
  const claims = { ...payload };
  const forged = {
    'HS512 instead of HS256': jwt.sign(claims, secret, { algorithm: 'HS512', keyid: header.kid }),
    'another issuer': jwt.sign({ ...claims, iss: 'someone-else' }, secret, { algorithm: 'HS256', keyid: header.kid }),
    'another audience': jwt.sign({ ...claims, aud: 'another-api' }, secret, { algorithm: 'HS256', keyid: header.kid }),
  };
  for (const target of targets.filter((t) => t.name !== OPEN)) {
    for (const [what, bad] of Object.entries(forged)) {
      const response = await fetch(target.url, { headers: { authorization: `Bearer ${bad}` } });
      if (response.status !== 401) throw new Error(`${target.path} accepted a token with ${what} (${response.status})`);
    }
  }
}

function section({ targets, samples, rounds, duration, connections }) {
  const rps = (name) => median(samples.get(name).rps);
  const p99 = (name) => median(samples.get(name).p99);
  const cpu = (name) => median(samples.get(name).cpu);
  // Paired per round: each round's runs are back to back, so a ratio within a round cancels the drift of the
  // shared machine that moves whole rounds up or down; the verdicts use the median of those ratios.
  const pairedRatio = (a, b) => median(samples.get(a).rps.map((value, round) => value / samples.get(b).rps[round]));
  const open = rps(OPEN);
  const rows = targets.map((target) => {
    const sample = samples.get(target.name);
    return [
      target.name,
      fmt(rps(target.name)),
      fmt(p99(target.name), 1),
      fmt(cpu(target.name), 1),
      fmt(cpu(target.name) - cpu(OPEN), 1),
      fmt(pairedRatio(target.name, OPEN), 3),
      fmt(pairedRatio(OURS, target.name), 2),
      String(sample.failures),
      sample.rps.map((value) => fmt(value)).join(' '),
    ];
  });
  const vsOpen = pairedRatio(OURS, OPEN);
  const libraries = targets.filter((target) => target.name.endsWith('-jwt 8') || target.name.endsWith('-jwt 4'));
  return {
    id: 'protected',
    title: '1. Protected route',
    setup:
      `\`GET /bench/<route>\` answering \`{"success":true,"data":{"id":…}}\`, ${rounds} alternating rounds × ${duration} s per route, ` +
      `${connections} connections, one app process (PGlite store, Express 5). validateAuth is the generated middleware ` +
      '(signature, kid, exp, iss/aud, token_use, then the token-version and jti checks from its in-process cache); the ' +
      'libraries only verify the signature and claims (passport-jwt with the usual no-lookup verify callback). ' +
      '`GET /api/auth/me` is the kit\'s own route (validateAuth, the auth router\'s no-store headers and body checks, and a ' +
      'larger answer: the user). Before ' +
      'measuring, every guarded route is checked to refuse the token re-signed with HS512, another issuer or another audience.',
    columns: ['route', 'req/s', 'p99 ms', 'app CPU µs/req', 'auth CPU µs/req', '× no auth', 'validateAuth ÷ this', 'non-2xx/errors', 'req/s per round'],
    rows,
    targets: [
      { label: 'validateAuth ≥ 0.9× the no-auth route', measured: `${fmt(vsOpen, 3)}×`, met: vsOpen >= 0.9 },
      ...libraries.map((library) => ({
        label: `validateAuth ahead of ${library.name}`,
        measured: `${fmt(pairedRatio(OURS, library.name), 2)}× its req/s; ${fmt(cpu(OURS) - cpu(OPEN), 1)} vs ${fmt(cpu(library.name) - cpu(OPEN), 1)} µs of auth CPU per request`,
        met: pairedRatio(OURS, library.name) > 1,
      })),
    ],
    notes: [
      'Ratios are medians of per-round ratios (each round runs every route back to back). "app CPU µs/req" is the app ' +
        "process's CPU time (process.cpuUsage) over a run divided by its requests; \"auth CPU\" subtracts the no-auth " +
        'route\'s, leaving what checking the token costs. The load generator shares the 2 cores, so req/s moves with it; ' +
        'CPU per request does not.',
    ],
    chart: {
      title: '1. Protected route — requests/s (higher is better)',
      unit: 'req/s',
      bars: targets.map((target) => ({ label: target.name, value: rps(target.name), highlight: target.name === OURS })),
    },
  };
}

await runStandalone(import.meta.url, benchProtectedRoute);
