// Small statistics and command-line helpers shared by the benchmarks.

/** @param {number[]} values */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Nearest-rank percentile. @param {number[]} values @param {number} p */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Reads `--name value` from the command line. */
export function numberArg(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

/** `order` on even rounds and reversed on odd ones, so warm-up and drift hit every competitor alike. */
export function alternate(order, round) {
  return round % 2 === 0 ? order : [...order].reverse();
}

/** Formats a number with a fixed count of decimals, or '–' when it is not a number. */
export function fmt(value, decimals = 0) {
  return Number.isFinite(value) ? value.toFixed(decimals) : '–';
}
