// Helpers shared by the demo (scripts/demo.mjs), the e2e tests and the benchmarks: copy an example app into a
// temp folder, run the built CLI on it, type-check, build and boot it, and talk to it over HTTP.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fse from 'fs-extra';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const cliPath = path.join(repoRoot, 'dist', 'cli.js');
export const fixturesDir = path.join(repoRoot, 'test', 'fixtures', 'apps');

/** The two TypeScript compilers users' apps are on. */
export const TSC = {
  ts7: path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
  ts5: path.join(repoRoot, 'node_modules', 'typescript5', 'bin', 'tsc'),
};

/**
 * Copies a fixture app into a fresh temp folder. Its node_modules is a link to this repo's, so the app's
 * dependencies (and the ones the CLI adds) resolve without a network install.
 * @param {string} fixture name of a folder under test/fixtures/apps
 * @param {{ folderName?: string, packages?: Record<string, string> }} [options] folderName lets a test put
 *   spaces or dots in the path; packages maps a package name to another folder of this repo's node_modules
 *   (e.g. `{ express: 'express4' }`), for which the sandbox gets its own node_modules of links instead.
 */
export function makeSandbox(fixture, options = {}) {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'backternity-'));
  const dir = path.join(base, options.folderName ?? fixture);
  // fs-extra's copy: fs.cp is still experimental on Node 20, our floor.
  fse.copySync(path.join(fixturesDir, fixture), dir);
  if (options.packages) linkNodeModules(path.join(dir, 'node_modules'), options.packages);
  else fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return { dir, cleanup: () => fs.rmSync(base, { recursive: true, force: true }) };
}

/**
 * Every file under dir as relative path → bytes (base64), for "nothing was written" and "byte-identical"
 * assertions. Folders are listed too (`name/` → ''), so a stray empty folder shows up.
 * @param {string} dir
 * @param {string[]} [skip] folder names left out (node_modules is a link; dist and .data are build output and data)
 * @returns {Record<string, string>}
 */
export function snapshotTree(dir, skip = ['node_modules', 'dist', '.data']) {
  /** @type {Record<string, string>} */
  const files = {};
  const walk = (/** @type {string} */ current) => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      if (skip.includes(entry.name)) continue;
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        files[`${path.relative(dir, full)}/`] = '';
        walk(full);
      } else files[path.relative(dir, full)] = fs.readFileSync(full, 'base64');
    }
  };
  walk(dir);
  return files;
}

/**
 * A real node_modules folder whose entries link to this repo's, except the remapped ones (`express` →
 * node_modules/express4). Scoped folders (`@types`) are rebuilt one level deeper so `@types/express` can be
 * remapped too. Node resolves a linked package's own dependencies from its real path, so they still work.
 * @param {string} target
 * @param {Record<string, string>} packages
 */
function linkNodeModules(target, packages) {
  const source = path.join(repoRoot, 'node_modules');
  const link = (name) => {
    const real = path.join(source, packages[name] ?? name);
    fs.symlinkSync(real, path.join(target, name), 'dir');
  };
  fs.mkdirSync(target);
  for (const entry of fs.readdirSync(source)) {
    if (!entry.startsWith('@')) {
      link(entry);
      continue;
    }
    fs.mkdirSync(path.join(target, entry));
    for (const scoped of fs.readdirSync(path.join(source, entry))) link(`${entry}/${scoped}`);
  }
}

/**
 * Runs the built CLI as a user's shell would, non-interactively (CI=true, no TTY).
 * @param {string[]} args
 * @param {{ cwd: string, env?: Record<string, string | undefined> }} options
 */
export function runCli(args, { cwd, env = {} }) {
  const result = spawnSync(process.execPath, [cliPath, ...args], {
    cwd,
    env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/**
 * @param {string} dir app folder (with a tsconfig.json)
 * @param {'ts5' | 'ts7'} compiler
 */
export function typeCheck(dir, compiler) {
  const result = spawnSync(process.execPath, [TSC[compiler], '--noEmit', '-p', dir], { cwd: dir, encoding: 'utf8' });
  return { code: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

/** Runs one of the app's package.json scripts through a shell, with its node_modules/.bin on PATH, as npm would. */
export function runScript(dir, name, env = {}) {
  const script = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).scripts?.[name];
  if (!script) throw new Error(`no "${name}" script in ${dir}/package.json`);
  const result = spawnSync(script, { cwd: dir, shell: true, encoding: 'utf8', env: scriptEnv(dir, env) });
  return { code: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

function scriptEnv(dir, env) {
  return { ...process.env, ...env, PATH: `${path.join(dir, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH}` };
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/**
 * Boots the app with its own `start` script and waits until `readyPath` answers over HTTP.
 * @param {string} dir
 * @param {{ env?: Record<string, string>, readyPath?: string, timeoutMs?: number }} [options]
 */
export async function startApp(dir, { env = {}, readyPath = '/health', timeoutMs = 30_000 } = {}) {
  const port = await freePort();
  const script = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).scripts.start;
  // Its own process group, so stopping it also stops whatever the start script spawned.
  const child = spawn(script, {
    cwd: dir,
    shell: true,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: scriptEnv(dir, { ...env, PORT: String(port) }),
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  const deadline = Date.now() + timeoutMs;
  let exit;
  exited.then((value) => (exit = value));
  while (Date.now() < deadline) {
    if (exit) throw new Error(`app exited before it was ready (${JSON.stringify(exit)}):\n${output}`);
    try {
      await fetch(url + readyPath, { signal: AbortSignal.timeout(1000) });
      return { url, port, stop, output: () => output, exited };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await stop();
  throw new Error(`app did not answer ${readyPath} within ${timeoutMs} ms:\n${output}`);
}

/**
 * Boots the app and resolves with how it ended, for start-up failures (bad config, unreachable store).
 * @param {string} dir
 * @param {Record<string, string>} env
 * @param {number} timeoutMs
 */
export async function startExpectingExit(dir, env, timeoutMs = 10_000) {
  const port = await freePort();
  const script = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).scripts.start;
  const child = spawn(script, { cwd: dir, shell: true, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: scriptEnv(dir, { ...env, PORT: String(port) }) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const started = Date.now();
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }, timeoutMs);
  const code = await new Promise((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, stdout, stderr, ms: Date.now() - started };
}

/**
 * A TCP proxy on a free local port in front of `target`, for tests that need the network to a real server to
 * fail the way networks do. `blackhole()` keeps every connection open but lets no byte through (new ones are
 * accepted and held), so clients can only give up through their own timeouts; `forward()` ends the held
 * connections and passes traffic again.
 * @param {{ host: string, port: number }} target
 */
export async function startTcpProxy(target) {
  /** @type {Set<net.Socket>} */
  const sockets = new Set();
  let forwarding = true;
  const track = (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = net.createServer((client) => {
    track(client);
    if (!forwarding) return; // held until forward() ends it
    const upstream = net.connect(target.port, target.host);
    track(upstream);
    client.on('data', (chunk) => forwarding && upstream.write(chunk));
    upstream.on('data', (chunk) => forwarding && client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {net.AddressInfo} */ (server.address());
  const dropAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port,
    blackhole: () => {
      forwarding = false;
    },
    forward: () => {
      // Connections that lost bytes while blackholed cannot resume a protocol; end them all.
      dropAll();
      forwarding = true;
    },
    close: () => {
      dropAll();
      return new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}
