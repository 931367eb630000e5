import { spawn } from 'node:child_process';
import { CliError } from '../errors.js';
import type { PackageManagerName } from '../project/types.js';

const KILL_AFTER_MS = 5000;

/** The command that installs what package.json declares, for each package manager. */
export function installCommand(manager: PackageManagerName): { command: string; args: string[] } {
  switch (manager) {
    case 'npm':
      return { command: 'npm', args: ['install', '--no-audit', '--no-fund'] };
    case 'pnpm':
      return { command: 'pnpm', args: ['install'] };
    case 'yarn':
      return { command: 'yarn', args: ['install'] };
    case 'bun':
      return { command: 'bun', args: ['install'] };
  }
}

/**
 * Runs the app's own package manager in the app's folder. Output is captured and shown only on failure,
 * so a successful install is one spinner line. `signal` (Ctrl-C) stops the child, and the promise settles
 * only once it has exited, so nothing it writes lands after the rollback.
 */
export function runInstall(manager: PackageManagerName, cwd: string, signal?: AbortSignal): Promise<void> {
  const { command, args } = installCommand(manager);
  const display = [command, ...args].join(' ');
  return new Promise((resolve, reject) => {
    let output = '';
    const child = spawn(command, args, {
      cwd,
      // Windows needs a shell to run npm.cmd/pnpm.cmd; elsewhere we pass arguments without one.
      shell: process.platform === 'win32',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, npm_config_yes: 'true' },
      signal,
      killSignal: 'SIGTERM',
    });
    // A package manager that ignores SIGTERM gets SIGKILL a few seconds later.
    const onAbort = () => setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS).unref();
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.name === 'AbortError') return; // settled on 'close', once the child is gone
      if (error.code === 'ENOENT') {
        reject(
          new CliError(`${command} is not installed or not on PATH.`, {
            hint: `Install ${command} (or run \`corepack enable\`), or re-run with --no-install and install the dependencies yourself.`,
          }),
        );
      } else reject(new CliError(`${display} could not run: ${error.message}`, { hint: 'Re-run with --no-install and install yourself.' }));
    });
    child.on('close', (code, killedBy) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(new CliError(`${display} was interrupted.`));
      if (code === 0) return resolve();
      const tail = output.trim().split('\n').slice(-15).join('\n');
      reject(
        new CliError(`${display} failed (${killedBy ? `signal ${killedBy}` : `exit code ${code}`}).`, {
          hint: `${tail ? `Its last output:\n${tail}\n\n` : ''}Fix the problem and run again, or re-run with --no-install and install the dependencies yourself.`,
        }),
      );
    });
  });
}
