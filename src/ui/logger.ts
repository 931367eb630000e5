import { createColors, type Colors } from './colors.js';

/** All human-facing output goes through one logger so `--json` can send it to stderr (or silence it). */
export interface Logger {
  readonly colors: Colors;
  readonly stream: NodeJS.WriteStream;
  info(message: string): void;
  success(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  line(message?: string): void;
}

export function createLogger(stream: NodeJS.WriteStream = process.stdout, options: { silent?: boolean } = {}): Logger {
  const colors = createColors(stream);
  const write = (text: string) => {
    if (!options.silent) stream.write(`${text}\n`);
  };
  return {
    colors,
    stream,
    info: (message) => write(message),
    success: (message) => write(`${colors.green('✔')} ${message}`),
    warn: (message) => write(`${colors.yellow('!')} ${message}`),
    // Errors always go to stderr, whatever stream the rest of the output uses.
    error: (message) => process.stderr.write(`${createColors(process.stderr).red('✖')} ${message}\n`),
    line: (message = '') => write(message),
  };
}
