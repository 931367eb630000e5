// Copied into the scaffolded benchmark app as src/benchRoutes.ts and mounted by its server entry (bench/lib/app.mjs).
// Four routes with the same tiny JSON answer, differing only in who checks the access token, plus a probe of the
// app's own event-loop delay. Not part of the templates: it exists only so the benchmarks can compare like with like.
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import { expressjwt, type Request as JwtRequest } from 'express-jwt';
import { authConfig } from './config/auth.js';
import { validateAuth } from './middleware/auth.js';

// passport and passport-jwt ship no type declarations; the benchmark only needs their runtime.
const require = createRequire(import.meta.url);
const passport = require('passport');
const { Strategy: JwtStrategy, ExtractJwt } = require('passport-jwt');

const ANONYMOUS_ID = '00000000-0000-4000-8000-000000000000'; // same length as a real user id, so bodies match

function answer(res: Response, id: string): void {
  res.json({ success: true, data: { id } });
}

/** The libraries get the kit's own settings: HS256 only, the same issuer and audience, the same KeyObject. */
function competitors(): { expressJwt: RequestHandler; passportJwt: RequestHandler } {
  const pinning = { algorithms: ['HS256' as const], issuer: authConfig.issuer, audience: authConfig.audience };
  const expressJwt = expressjwt({ secret: authConfig.jwtKey, ...pinning });
  passport.use(
    new JwtStrategy(
      { jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: authConfig.jwtKey, ...pinning },
      // The usual minimal setup: trust the verified claims, no user lookup.
      (payload: { sub: string }, done: (error: unknown, user: { id: string }) => void) => done(null, { id: payload.sub }),
    ),
  );
  return { expressJwt, passportJwt: passport.authenticate('jwt', { session: false }) };
}

export function mountBenchRoutes(app: Express): void {
  const { expressJwt, passportJwt } = competitors();
  app.get('/bench/open', (_req, res) => answer(res, ANONYMOUS_ID));
  app.get('/bench/protected', validateAuth, (req, res) => answer(res, req.user!.id));
  app.get('/bench/express-jwt', expressJwt, (req, res) => answer(res, (req as JwtRequest).auth!.sub!));
  app.get('/bench/passport-jwt', passportJwt, (req: Request, res) => answer(res, (req.user as unknown as { id: string }).id));
  // express-jwt reports a bad token as an error; this is the handler its README asks apps to add.
  app.use('/bench', (error: Error, _req: Request, res: Response, next: NextFunction) => {
    if (error.name !== 'UnauthorizedError') return next(error);
    res.status(401).json({ success: false, message: 'Invalid token', code: 'invalid_token' });
  });

  // The app process's CPU time so far (µs, user + system): sampled around a load run, it gives CPU per request,
  // which the load generator sharing the cores does not blur the way it blurs requests/s.
  app.get('/bench/cpu', (_req, res) => {
    const { user, system } = process.cpuUsage();
    res.json({ micros: user + system });
  });

  // The delay timers on this process's event loop saw since the last reset: what a login burst costs everyone else.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  app.post('/bench/loop-delay/reset', (_req, res) => {
    loopDelay.reset();
    res.json({ ok: true });
  });
  app.get('/bench/loop-delay', (_req, res) => {
    const ms = (ns: number) => ns / 1e6;
    res.json({ p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) });
  });
}
