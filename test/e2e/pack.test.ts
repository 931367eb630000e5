import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSandbox, repoRoot } from '../../scripts/sandbox.mjs';

/**
 * What users get from npm: pack the package, install the tarball into a clean folder, and run the installed
 * `backternity` bin on an app. Proves dist/ and templates/ ship and the bin works outside this repo.
 */
describe('the packed package', () => {
  let work: string;
  let tarball: string;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'backternity-pack-'));
    const pack = spawnSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: repoRoot, encoding: 'utf8' });
    expect(pack.status, pack.stderr).toBe(0);
    const [info] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = path.join(work, info!.filename);
    const files = info!.files.map((file) => file.path);
    expect(files).toContain('dist/cli.js');
    expect(files).toContain('templates/auth-jwt/base/routes/auth.ts');
    expect(files.some((file) => file.startsWith('test/') || file.startsWith('src/'))).toBe(false);
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('installs from the tarball and scaffolds into an app', () => {
    const consumer = path.join(work, 'consumer');
    fs.mkdirSync(consumer);
    fs.writeFileSync(path.join(consumer, 'package.json'), '{ "name": "consumer", "private": true }\n');
    const install = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], {
      cwd: consumer,
      encoding: 'utf8',
    });
    expect(install.status, install.stderr).toBe(0);

    const app = makeSandbox('ts-esm-nodenext');
    try {
      const bin = path.join(consumer, 'node_modules', '.bin', 'backternity');
      const run = spawnSync(bin, ['add', 'auth-jwt', '--db', 'pglite', '--no-install'], {
        cwd: app.dir,
        encoding: 'utf8',
        env: { ...process.env, CI: 'true', NO_COLOR: '1' },
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(fs.existsSync(path.join(app.dir, 'src', 'routes', 'auth.ts'))).toBe(true);
      expect(fs.readFileSync(path.join(app.dir, 'src', 'server.ts'), 'utf8')).toContain("app.use('/api/auth', authRouter, authErrorHandler);");
    } finally {
      app.cleanup();
    }
  });
});
