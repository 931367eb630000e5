#!/usr/bin/env node
// 5. CLI start-up cost against bare Node: `backternity --help`, `--version` and a full `add auth-jwt --no-install`
// on a fresh copy of an app, against `node -e 0`, in one run with the commands alternated so machine noise hits all
// of them alike. Prints medians and ratios to `node -e 0`.
//   node bench/cli-startup.mjs --cli-rounds 15     (after npm run build)
import { spawnSync } from 'node:child_process';
import { makeSandbox } from '../scripts/sandbox.mjs';
import { benchCli } from './lib/cli.mjs';
import { runStandalone } from './lib/context.mjs';
import { alternate, fmt, median, numberArg } from './lib/stats.mjs';

const env = { ...process.env, CI: 'true', NO_COLOR: '1' };

export async function benchCliStartup() {
  const rounds = numberArg('cli-rounds', 15);
  const { cli, label } = benchCli();
  const cases = [
    { name: 'node -e 0', run: () => time(['-e', '0']) },
    { name: 'backternity --help', run: () => time([cli, '--help']) },
    { name: 'backternity --version', run: () => time([cli, '--version']) },
    {
      name: 'backternity add auth-jwt --no-install',
      run: () => {
        // A fresh copy every round, so each run does the full job (detect, plan, write), not the no-op re-run.
        const app = makeSandbox('ts-esm-nodenext');
        try {
          return time([cli, 'add', 'auth-jwt', '--db', 'pglite', '--yes', '--no-install'], app.dir);
        } finally {
          app.cleanup();
        }
      },
    },
  ];
  for (const c of cases) c.run(); // warms the file-system cache once; not counted
  const samples = new Map(cases.map((c) => [c.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const c of alternate(cases, round)) samples.get(c.name).push(c.run());
  }
  return section(cases, samples, { rounds, label });
}

function time(args, cwd = process.cwd()) {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { cwd, env, stdio: 'ignore' });
  const elapsed = performance.now() - started;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${result.status}`);
  return elapsed;
}

function section(cases, samples, { rounds, label }) {
  const ms = (name) => median(samples.get(name));
  const baseline = ms('node -e 0');
  const help = ms('backternity --help') / baseline;
  return {
    id: 'cli',
    title: '5. CLI start-up',
    setup: `Wall time of each command as a child process, ${rounds} alternating rounds, CLI from the ${label}.`,
    columns: ['command', 'median ms', 'min ms', '× node -e 0'],
    rows: cases.map((c) => [c.name, fmt(ms(c.name), 1), fmt(Math.min(...samples.get(c.name)), 1), fmt(ms(c.name) / baseline, 2)]),
    targets: [{ label: '`backternity --help` within 2× of `node -e 0`', measured: `${fmt(help, 2)}×`, met: help <= 2 }],
    notes: [],
    chart: {
      title: '5. CLI — wall time, ms (lower is better)',
      unit: 'ms',
      bars: cases.map((c) => ({ label: c.name, value: ms(c.name), highlight: c.name !== 'node -e 0' })),
    },
  };
}

await runStandalone(import.meta.url, benchCliStartup);
