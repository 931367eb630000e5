import type { Logger } from './logger.js';

export interface Spinner {
  succeed(text: string): void;
  fail(text: string): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A spinner on a terminal; a plain start line and end line anywhere else (CI logs, pipes), so logs stay
 * readable and free of carriage returns.
 */
export function startSpinner(logger: Logger, text: string): Spinner {
  const { stream, colors } = logger;
  if (!stream.isTTY) {
    logger.info(`${text}…`);
    return {
      succeed: (done) => logger.success(done),
      fail: (failed) => logger.error(failed),
    };
  }
  let frame = 0;
  const render = () => stream.write(`\r${colors.cyan(FRAMES[frame++ % FRAMES.length] ?? '-')} ${text}`);
  render();
  const timer = setInterval(render, 80);
  const stop = () => {
    clearInterval(timer);
    stream.write('\r\x1b[2K');
  };
  return {
    succeed: (done) => {
      stop();
      logger.success(done);
    },
    fail: (failed) => {
      stop();
      logger.error(failed);
    },
  };
}
