/**
 * A run may ask questions only when a person can answer them: stdin and stdout are terminals and the
 * run is not in CI. Every question must therefore have a flag that answers it or a safe default.
 */
export function isInteractive(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI;
  if (ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false') return false;
  return Boolean(process.stdin.isTTY && process.stdout.isTTY);
}
