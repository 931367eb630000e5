#!/usr/bin/env node
// `npm run demo`: the whole job, end to end, on the embedded store. Copies an example Express + TypeScript
// app into a temp folder, runs `backternity add auth-jwt --db pglite` on it, type-checks and builds it,
// boots it, and prints the register → login → me → refresh → logout exchange over real HTTP.
import fs from 'node:fs';
import path from 'node:path';
import pc from 'picocolors';
import { makeSandbox, runCli, runScript, startApp, typeCheck } from './sandbox.mjs';

const keep = process.argv.includes('--keep');
const { dir, cleanup } = makeSandbox('ts-esm-nodenext', { folderName: 'notes-api' });
const step = (text) => console.log(`\n${pc.bold(pc.cyan('▸'))} ${pc.bold(text)}`);
let app;

try {
  step(`Example app copied to ${dir}`);
  console.log(pc.dim(fs.readFileSync(path.join(dir, 'src', 'server.ts'), 'utf8').trim().split('\n').slice(0, 8).join('\n') + '\n…'));

  step('npx backternity add auth-jwt --db pglite --yes --no-install');
  console.log(pc.dim('(dependencies come from this repo\'s node_modules, so the demo needs no network)'));
  const cli = runCli(['add', 'auth-jwt', '--db', 'pglite', '--yes', '--no-install'], { cwd: dir, env: { NO_COLOR: '' } });
  process.stdout.write(cli.stdout + cli.stderr);
  if (cli.code !== 0) throw new Error(`backternity exited with ${cli.code}`);

  step('The patched server entry (src/server.ts)');
  console.log(fs.readFileSync(path.join(dir, 'src', 'server.ts'), 'utf8'));

  step('Type-check (tsc --noEmit) and build (npm run build)');
  const check = typeCheck(dir, 'ts7');
  if (check.code !== 0) throw new Error(`type-check failed:\n${check.output}`);
  const build = runScript(dir, 'build');
  if (build.code !== 0) throw new Error(`build failed:\n${build.output}`);
  console.log(pc.green('✔ compiles under strict'));

  step('Boot the app (npm start, with REFRESH_REUSE_GRACE=0 and BCRYPT_COST=10 for a quick demo)');
  // REFRESH_REUSE_GRACE=0 shows rotation strictly: by default a just-rotated token keeps working for 10 s,
  // so two browser tabs refreshing at the same moment do not log the user out.
  app = await startApp(dir, { env: { BCRYPT_COST: '10', REFRESH_REUSE_GRACE: '0' } });
  console.log(pc.green(`✔ listening on ${app.url}`));

  const call = async (label, method, route, { body, token } = {}) => {
    const headers = { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) };
    const response = await fetch(app.url + route, { method, headers, body: body ? JSON.stringify(body) : undefined });
    const json = await response.json();
    const color = response.ok ? pc.green : pc.yellow;
    console.log(`\n${pc.bold(label)}  ${method} ${route}${body ? ' ' + pc.dim(JSON.stringify(body)) : ''}${token ? pc.dim('  (Bearer …)') : ''}`);
    console.log(`  ${color(String(response.status))} ${JSON.stringify(json, shorten)}`);
    return { status: response.status, json };
  };
  const credentials = { email: 'ada@example.com', password: 'correct horse battery staple' };

  step('Talk to it over HTTP');
  await call('register', 'POST', '/api/auth/register', { body: credentials });
  const login = await call('login', 'POST', '/api/auth/login', { body: credentials });
  const { token, refresh } = login.json.data;
  await call('me', 'GET', '/api/auth/me', { token });
  const refreshed = await call('refresh', 'POST', '/api/auth/refresh', { body: { refreshToken: refresh } });
  await call('refresh again with the old token (rotated: must fail)', 'POST', '/api/auth/refresh', { body: { refreshToken: refresh } });
  const current = refreshed.json.data;
  await call('logout', 'POST', '/api/auth/logout', { body: { refreshToken: current.refresh }, token: current.token });
  const after = await call('refresh after logout (must fail)', 'POST', '/api/auth/refresh', { body: { refreshToken: current.refresh } });
  if (after.status !== 401) throw new Error('refresh after logout should be 401');
  console.log(`\n${pc.green(pc.bold('✔ Demo complete.'))} ${keep ? `The app is kept at ${dir}` : '(temp folder removed; pass --keep to keep it)'}`);
} catch (error) {
  console.error(pc.red(`\n✖ ${error.message}`));
  if (app) console.error(pc.dim(app.output()));
  process.exitCode = 1;
} finally {
  await app?.stop();
  if (!keep) cleanup();
}

/** Long tokens are cut in the printout; the exchange is about shape, not bytes. */
function shorten(key, value) {
  return typeof value === 'string' && value.length > 40 ? `${value.slice(0, 24)}…(${value.length} chars)` : value;
}
