#!/usr/bin/env node
// Where a route's CPU time goes: boots the benchmark app with the inspector's CPU profiler on (bench/lib/cpu-profiler.mjs), loads one route with autocannon
// (its own process) and prints the functions with the most self time, and the same grouped by package.
// A diagnostic for when a benchmark looks slower than it should; `npm run bench` does not run it.
//   node bench/profile.mjs --route /bench/protected --duration 8     (after npm run build)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from '../scripts/sandbox.mjs';
import { register } from './lib/app.mjs';
import { createContext } from './lib/context.mjs';
import { autocannon } from './lib/load.mjs';
import { fmt, numberArg } from './lib/stats.mjs';

const routeIndex = process.argv.indexOf('--route');
const route = routeIndex > 0 ? process.argv[routeIndex + 1] : '/bench/protected';
const duration = numberArg('duration', 8);
const top = numberArg('top', 25);
const preload = pathToFileURL(path.join(import.meta.dirname, 'lib', 'cpu-profiler.mjs')).href;

const context = createContext();
const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'backternity-profile-'));
try {
  const app = await context.app('pglite');
  const profileFile = path.join(profileDir, 'app.cpuprofile');
  const instance = await startProfiled(app, profileFile);
  const { token } = await register(instance.url, 'bench-profile@example.com');
  const headers = { authorization: `Bearer ${token}` };
  await autocannon({ urls: [instance.url + route], headers, connections: 50, duration: 1 }); // warm-up, not sampled
  instance.startSampling();
  const result = await autocannon({ urls: [instance.url + route], headers, connections: 50, duration });
  await instance.stop();
  console.log(`${route}: ${fmt(result.rps)} req/s under the profiler (slower than without it), ${result.failures} non-2xx/errors`);
  if (!fs.existsSync(profileFile)) throw new Error('the app wrote no CPU profile');
  const profile = JSON.parse(fs.readFileSync(profileFile, 'utf8'));
  printCostPerRequest(profile, result.requests);
  printProfile(profile);
} finally {
  fs.rmSync(profileDir, { recursive: true, force: true });
  await context.close();
}

/**
 * Boots `node dist/server.js` itself rather than through the start script's shell, so SIGTERM reaches Node alone
 * and the profile is written before the process ends.
 */
async function startProfiled(app, profileFile) {
  const port = await freePort();
  const env = { ...process.env, ...app.env, PORT: String(port), NODE_OPTIONS: `--import=${preload}`, BENCH_CPU_PROFILE: profileFile };
  const child = spawn(process.execPath, ['dist/server.js'], { cwd: app.dir, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await fetch(`${url}/health`);
      break;
    } catch (error) {
      if (attempt > 100 || child.exitCode !== null) throw new Error(`the profiled app did not start: ${error}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    startSampling: () => child.kill('SIGUSR2'),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Main-thread CPU per request: the sampled wall time minus idle samples, over the requests served meanwhile. */
function printCostPerRequest(profile, requests) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const idle = profile.samples.filter((id) => nodes.get(id).callFrame.functionName === '(idle)').length;
  const busyShare = 1 - idle / profile.samples.length;
  const wallMicros = profile.endTime - profile.startTime;
  console.log(`main-thread CPU per request: ${fmt((wallMicros * busyShare) / requests, 1)} µs (busy ${fmt(busyShare * 100, 1)} % of the time)`);
}

/** Self time per function and per package, and total (inclusive) time of the app's and the JWT libraries' functions. */
function printProfile(profile) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const total = profile.samples.length;
  const self = new Map();
  const selfByPackage = new Map();
  const inclusive = new Map();
  const add = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);
  for (const leaf of profile.samples) {
    add(self, functionKey(nodes.get(leaf).callFrame));
    add(selfByPackage, packageOf(nodes.get(leaf).callFrame));
    const onStack = new Set();
    for (let id = leaf; id !== undefined; id = parents.get(id)) {
      const frame = nodes.get(id).callFrame;
      if (isOfInterest(frame)) onStack.add(functionKey(frame));
    }
    for (const key of onStack) add(inclusive, key);
  }
  const print = (title, map, limit) => {
    console.log(`\n${title}`);
    for (const [key, count] of [...map].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
      console.log(`${fmt((count / total) * 100, 1).padStart(6)} %  ${key}`);
    }
  };
  print(`self time by function (top ${top} of ${total} samples)`, self, top);
  print('self time by package', selfByPackage, 20);
  print("total time (self + callees) of the app's and the JWT libraries' functions", inclusive, top);
}

function functionKey(frame) {
  const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '(native)';
  return `${frame.functionName || '(anonymous)'}  ${where}`;
}

function isOfInterest(frame) {
  return /\/dist\/|jsonwebtoken|jws|jwa|express-jwt|passport/.test(frame.url) && !frame.url.includes('node_modules/express/');
}

function shortUrl(url) {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? `app${url.slice(dist)}` : url.replace('file://', '');
}

function packageOf(frame) {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native/V8)';
  if (url.startsWith('node:')) return url.split('/')[0].replace(/^node:internal.*/, 'node (internals)');
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1];
  return url.includes('/dist/') ? 'the app (dist/)' : url;
}
