// HTTP load from a separate process over loopback, bounded in time: autocannon's CLI as a child process, so the
// load generator never shares an event loop with the measuring code or the app.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../scripts/sandbox.mjs';

const AUTOCANNON = path.join(repoRoot, 'node_modules', 'autocannon', 'autocannon.js');

/**
 * One autocannon run. Several URLs share the connections round-robin (load split across instances).
 * @param {{ urls: string[], headers?: Record<string, string>, connections: number, duration: number }} options
 * @returns {Promise<{ rps: number, p50: number, p99: number, failures: number, requests: number }>}
 */
export async function autocannon({ urls, headers = {}, connections, duration }) {
  const args = [AUTOCANNON, '--json', '-c', String(connections), '-d', String(duration)];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}=${value}`);
  args.push(...urls);
  const summary = JSON.parse(await runNode(args));
  return {
    rps: summary.requests.average,
    p50: summary.latency.p50,
    p99: summary.latency.p99,
    failures: summary.non2xx + summary.errors + summary.timeouts,
    requests: summary.requests.total,
  };
}

/** Runs a Node script (with `input` on its stdin) and resolves with its stdout; rejects with its stderr when it fails. */
export function runNode(args, { timeoutMs = 120_000, input = '' } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end(input);
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${path.basename(args[0])} exited ${code ?? signal}: ${err.slice(-2000)}`));
    });
  });
}
