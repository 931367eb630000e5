import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

export type HashTask =
  | { op: 'hash'; password: string; cost: number }
  | { op: 'compare'; password: string; hash: string };

// Runs inside each worker. Plain CommonJS text evaluated by Node, so it works the same whether the app is
// ESM, CommonJS, compiled TypeScript or run by tsx: no worker file to locate, no import.meta, no __dirname.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptPath);
parentPort.on('message', (task) => {
  try {
    const result = task.op === 'hash'
      ? bcrypt.hashSync(task.password, task.cost)
      : bcrypt.compareSync(task.password, task.hash);
    parentPort.postMessage({ ok: true, result });
  } catch (error) {
    parentPort.postMessage({ ok: false, message: String((error && error.message) || error) });
  }
});
`;

interface PendingTask {
  task: HashTask;
  resolve: (result: string | boolean) => void;
  reject: (reason: unknown) => void;
}

type WorkerReply = { ok: true; result: string | boolean } | { ok: false; message: string };

/**
 * A few worker threads running bcryptjs, so hashing (~250 ms of pure JavaScript at cost 12) never blocks
 * the event loop: a burst of logins slows other logins, not every other request. One task per worker
 * at a time; the rest wait in a queue.
 */
export class HashWorkerPool {
  private readonly size: number;
  private readonly bcryptPath: string;
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, PendingTask>();
  private readonly queue: PendingTask[] = [];
  private closed = false;

  constructor(bcryptPath: string, size = Math.min(2, availableParallelism())) {
    this.bcryptPath = bcryptPath;
    this.size = Math.max(1, size);
  }

  run(task: HashTask): Promise<string | boolean> {
    if (this.closed) return Promise.reject(new Error('The password hashing pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops every worker; queued tasks fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(new Error('The password hashing pool is closed'));
    const workers = [...this.idle, ...this.busy.keys()];
    this.idle.length = 0;
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const worker = this.idle.pop() ?? this.spawnIfRoom();
      if (!worker) return;
      const pending = this.queue.shift();
      if (!pending) return;
      this.busy.set(worker, pending);
      worker.ref(); // a pending hash keeps the process alive until it is done
      worker.postMessage(pending.task);
    }
  }

  private spawnIfRoom(): Worker | undefined {
    if (this.idle.length + this.busy.size >= this.size) return undefined;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { bcryptPath: this.bcryptPath },
      execArgv: [], // no TypeScript loaders or inspector flags: the worker runs plain JavaScript
    });
    worker.on('message', (reply: WorkerReply) => this.finish(worker, reply));
    // Typed `unknown` since @types/node 25: a worker can throw anything.
    worker.on('error', (error: unknown) => this.retire(worker, error));
    worker.on('exit', () => this.retire(worker, new Error('A password hashing worker stopped')));
    return worker;
  }

  private finish(worker: Worker, reply: WorkerReply): void {
    const pending = this.busy.get(worker);
    this.busy.delete(worker);
    worker.unref(); // an idle pool never keeps the process alive
    if (!this.closed) this.idle.push(worker);
    if (pending) {
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(new Error(reply.message));
    }
    this.dispatch();
  }

  /** A crashed worker fails its task and is replaced on demand. */
  private retire(worker: Worker, error: unknown): void {
    const pending = this.busy.get(worker);
    this.busy.delete(worker);
    const index = this.idle.indexOf(worker);
    if (index !== -1) this.idle.splice(index, 1);
    pending?.reject(error);
    if (!this.closed) this.dispatch();
  }
}

/**
 * Where bcryptjs is installed, for the workers to require. Resolved from the started script, then from the
 * working directory: the same lookup works in ESM and CommonJS, for `node dist/server.js` and `tsx src/server.ts`.
 */
export function resolveBcryptPath(): string | undefined {
  const bases = [process.argv[1], path.join(process.cwd(), 'package.json')];
  for (const base of bases) {
    if (!base) continue;
    try {
      return createRequire(path.resolve(base)).resolve('bcryptjs');
    } catch {
      // not installed next to this base; try the next one
    }
  }
  return undefined;
}
