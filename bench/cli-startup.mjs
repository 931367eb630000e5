#!/usr/bin/env node
// CLI start-up cost against bare Node, measured in one run with the commands alternated so machine noise
// hits all of them alike. Prints medians and ratios to `node -e 0`. Not a test: nothing here passes or fails.
//   npm run bench            (builds first)
//   node bench/cli-startup.mjs --rounds 20
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { cliPath, makeSandbox } from '../scripts/sandbox.mjs';

const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 15;
const env = { ...process.env, CI: 'true', NO_COLOR: '1' };

const cases = [
  { name: 'node -e 0', run: () => time(process.execPath, ['-e', '0']) },
  { name: 'backternity --help', run: () => time(process.execPath, [cliPath, '--help']) },
  { name: 'backternity --version', run: () => time(process.execPath, [cliPath, '--version']) },
  {
    name: 'add auth-jwt --no-install',
    run: () => {
      // A fresh copy every round, so each run does the full job (detect, plan, write), not the no-op re-run.
      const app = makeSandbox('ts-esm-nodenext');
      try {
        return time(process.execPath, [cliPath, 'add', 'auth-jwt', '--db', 'pglite', '--yes', '--no-install'], app.dir);
      } finally {
        app.cleanup();
      }
    },
  },
];

function time(command, args, cwd = process.cwd()) {
  const start = performance.now();
  const result = spawnSync(command, args, { cwd, env, stdio: 'ignore' });
  const elapsed = performance.now() - start;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`);
  return elapsed;
}

const samples = new Map(cases.map((c) => [c.name, []]));
for (const c of cases) c.run(); // Warm the file-system cache once; not counted.
for (let round = 0; round < rounds; round++) {
  for (const c of cases) samples.get(c.name).push(c.run());
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const baseline = median(samples.get('node -e 0'));
console.log(`CLI start-up, ${rounds} alternating rounds, median wall time (Node ${process.version})\n`);
console.log(`${'command'.padEnd(30)} ${'median ms'.padStart(10)} ${'min ms'.padStart(8)} ${'× node -e 0'.padStart(12)}`);
for (const c of cases) {
  const values = samples.get(c.name);
  const m = median(values);
  console.log(`${c.name.padEnd(30)} ${m.toFixed(1).padStart(10)} ${Math.min(...values).toFixed(1).padStart(8)} ${(m / baseline).toFixed(2).padStart(12)}`);
}
