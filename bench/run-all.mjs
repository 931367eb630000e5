#!/usr/bin/env node
// Every benchmark in one run (`npm run bench`): protected route, login, refresh, scale, CLI start-up. Prints each
// table as it finishes and writes docs/BENCHMARKS.md and docs/benchmarks.svg from the results.
//   npm run bench                      (builds, then runs this; the working tree's templates)
//   node bench/run-all.mjs --head      (the last commit, built in a temp folder)
// Options shared by the HTTP benchmarks: --rounds (5), --duration (3 s), --connections (50); --cli-rounds (15).
import { benchCliStartup } from './cli-startup.mjs';
import { benchCli } from './lib/cli.mjs';
import { createContext } from './lib/context.mjs';
import { describeEnvironment, printSection, writeReport } from './lib/report.mjs';
import { benchLogin } from './login.mjs';
import { benchProtectedRoute } from './protected-route.mjs';
import { benchRefresh } from './refresh.mjs';
import { benchScale } from './scale.mjs';

const BENCHMARKS = [benchProtectedRoute, benchLogin, benchRefresh, benchScale, benchCliStartup];

const startedAt = new Date();
const context = createContext();
const sections = [];
try {
  for (const bench of BENCHMARKS) {
    const section = await bench(context);
    printSection(section);
    sections.push(section);
  }
  const postgres = await context.app('postgres').then((app) => app.database.query('SHOW server_version'));
  const environment = describeEnvironment({ postgres: postgres.rows[0].server_version, cli: benchCli().label });
  const elapsedSeconds = (Date.now() - startedAt.getTime()) / 1000;
  writeReport(sections, { startedAt, elapsedSeconds, environment });
  console.log(`\nwrote docs/BENCHMARKS.md and docs/benchmarks.svg (${Math.round(elapsedSeconds)} s)`);
} finally {
  await context.close();
}
