// Which build of the CLI the benchmarks run. By default the repo's own dist/ (after `npm run build`), with the
// working tree's templates. With `--head` (or BENCH_HEAD=1), a snapshot of the last commit instead: `git archive HEAD`
// into a temp folder, built there once per run, so work in progress in the checkout never leaks into the numbers.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliPath, repoRoot } from '../../scripts/sandbox.mjs';

let snapshot;

/** @returns {{ cli: string, label: string }} */
export function benchCli() {
  if (!process.argv.includes('--head') && process.env.BENCH_HEAD !== '1') return { cli: cliPath, label: 'working tree (dist/)' };
  snapshot ??= buildHeadSnapshot();
  return snapshot;
}

function buildHeadSnapshot() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backternity-head-'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const commit = run('git', ['rev-parse', '--short', 'HEAD'], repoRoot).trim();
  run('sh', ['-c', `git archive HEAD | tar -x -C "${dir}"`], repoRoot);
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  run(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], dir);
  return { cli: path.join(dir, 'dist', 'cli.js'), label: `commit ${commit}` };
}

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}
