#!/usr/bin/env node
// A load generator for refresh-token rotation, run as its own process: one chain per starting token, each chain
// sending POST /api/auth/refresh with the token the previous answer returned, until the time is up. autocannon cannot
// do this (every request needs the previous response). Prints JSON: counts, latency percentiles and each chain's last
// token, so the next round can continue the chains.
//   node bench/lib/refresh-load.mjs <baseUrl> <seconds>   (tokens: a JSON array on stdin)
import { text } from 'node:stream/consumers';

const [baseUrl, seconds] = process.argv.slice(2);
const tokens = JSON.parse(await text(process.stdin));
const deadline = performance.now() + Number(seconds) * 1000;
const latencies = [];
let failures = 0;

async function chain(token) {
  while (performance.now() < deadline) {
    const started = performance.now();
    const response = await fetch(`${baseUrl}/api/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: token }),
    });
    const body = await response.json();
    if (response.status !== 200) {
      failures++;
      throw new Error(`refresh → ${response.status} ${JSON.stringify(body)}`);
    }
    latencies.push(performance.now() - started);
    token = body.data.refresh;
  }
  return token;
}

const started = performance.now();
const last = await Promise.all(tokens.map(chain));
const elapsed = performance.now() - started;
latencies.sort((a, b) => a - b);
const at = (p) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
process.stdout.write(
  JSON.stringify({ refreshes: latencies.length, failures, rps: (latencies.length / elapsed) * 1000, p50: at(50), p99: at(99), tokens: last }),
);
