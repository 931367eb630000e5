import fs from 'node:fs';
import { CliError } from './errors.js';

// `fatal`: a byte sequence that is not UTF-8 is an error, not a U+FFFD that would be written back in its
// place. `ignoreBOM`: a byte order mark stays in the text, so writing the text back keeps it.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reads a file the CLI may edit. Every edit is made on text and written back as UTF-8, so a file in another
 * encoding (Latin-1, Windows-1252) would come back with its non-ASCII bytes replaced: such a file is refused
 * before anything is written, with the place of the first offending byte. Read errors (ENOENT…) are rethrown.
 */
export function readUtf8(file: string): string {
  const bytes = fs.readFileSync(file);
  try {
    return decoder.decode(bytes);
  } catch {
    const { offset, line } = firstInvalidByte(bytes);
    const byte = `0x${(bytes[offset] ?? 0).toString(16).toUpperCase().padStart(2, '0')}`;
    throw new CliError(`${file} is not UTF-8 text (byte ${byte} on line ${line}), so editing it would change bytes you wrote.`, {
      hint: 'Convert it to UTF-8 (for example `iconv -f WINDOWS-1252 -t UTF-8`), or make the change by hand, then run again. Nothing was changed.',
    });
  }
}

/** Where the first byte that does not start a valid UTF-8 sequence is, for the message. */
function firstInvalidByte(bytes: Buffer): { offset: number; line: number } {
  let offset = 0;
  while (offset < bytes.length) {
    const lead = bytes[offset] ?? 0;
    const trailing = lead < 0x80 ? 0 : lead >= 0xc2 && lead <= 0xdf ? 1 : lead >= 0xe0 && lead <= 0xef ? 2 : lead >= 0xf0 && lead <= 0xf4 ? 3 : -1;
    if (trailing < 0) break;
    try {
      decoder.decode(bytes.subarray(offset, offset + trailing + 1));
    } catch {
      break;
    }
    offset += trailing + 1;
  }
  const line = bytes.subarray(0, offset).toString('latin1').split('\n').length;
  return { offset, line };
}

/** JSON.parse of a UTF-8 file, with a leading byte order mark allowed (npm accepts one in package.json). */
export function readJsonFile(file: string): unknown {
  return JSON.parse(readUtf8(file).replace(/^\uFEFF/, ''));
}
