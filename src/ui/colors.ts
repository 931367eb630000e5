import pc from 'picocolors';

/**
 * Colour only when the stream is a terminal and the user has not opted out (https://no-color.org).
 * FORCE_COLOR turns it on for tools that capture a TTY-less stream but render ANSI themselves.
 */
export function colorEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

export type Colors = ReturnType<typeof pc.createColors>;

export function createColors(stream: NodeJS.WriteStream): Colors {
  return pc.createColors(colorEnabled(stream));
}
