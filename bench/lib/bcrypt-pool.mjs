// The raw floor for logins/s: bcryptjs.compareSync on a pool of worker threads the size of the app's hashing pool,
// in the benchmark process (never at the same time as the app is loaded), so both sides get the same parallelism.
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';

const bcryptPath = createRequire(import.meta.url).resolve('bcryptjs');
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptPath);
parentPort.on('message', ({ password, hash }) => parentPort.postMessage(bcrypt.compareSync(password, hash)));
`;

/** @param {number} size */
export function startComparePool(size) {
  const workers = Array.from({ length: size }, () => new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptPath } }));
  const compareOn = (worker, password, hash) =>
    new Promise((resolve) => {
      worker.once('message', resolve);
      worker.postMessage({ password, hash });
    });
  return {
    /** Runs `count` compares spread over the workers; resolves with the elapsed milliseconds. */
    async burst(count, password, hash) {
      const started = performance.now();
      let next = 0;
      await Promise.all(
        workers.map(async (worker) => {
          while (next < count) {
            next++;
            if (!(await compareOn(worker, password, hash))) throw new Error('bcrypt.compareSync failed');
          }
        }),
      );
      return performance.now() - started;
    },
    close: () => Promise.all(workers.map((worker) => worker.terminate())),
  };
}
