// Preloaded (NODE_OPTIONS=--import) into a profiled app, since --cpu-prof is not allowed in NODE_OPTIONS and would
// also sample start-up: SIGUSR2 starts the inspector's sampling profiler on the main thread; SIGTERM stops it, writes
// the profile to $BENCH_CPU_PROFILE (a .cpuprofile file, readable by Chrome DevTools) and exits.
import fs from 'node:fs';
import { Session } from 'node:inspector';

const target = process.env.BENCH_CPU_PROFILE;
if (target) {
  const session = new Session();
  session.connect();
  const post = (method, params = {}) =>
    new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  let started = false;
  process.on('SIGUSR2', async () => {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 200 }); // µs
    await post('Profiler.start');
    started = true;
  });
  process.once('SIGTERM', async () => {
    if (started) fs.writeFileSync(target, JSON.stringify((await post('Profiler.stop')).profile));
    process.exit(0);
  });
}
