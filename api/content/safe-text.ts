// Text that someone else wrote, made safe to store for a log-like view and to print on a
// terminal: control characters (C0, DEL, C1), line and paragraph separators and bidirectional
// overrides become visible escapes (`\n`, `\u001b`), so a value can neither start a forged line nor
// send escape sequences to an operator's terminal. Used by the SSO attempt reasons and by the CLI
// (cli/output.ts), so there is one definition of "safe to show".

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE_BUT_NEWLINE_AND_TAB = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const escapeOne = (c: string) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Every control character escaped, newlines included: for one-line values (table cells, reasons). */
export function escapeControls(text: string): string {
  return text.toWellFormed().replace(UNSAFE, escapeOne);
}

/** Control characters escaped except newline and tab: for whole blocks of output a program composed. */
export function escapeControlsKeepLines(text: string): string {
  return text.toWellFormed().replace(UNSAFE_BUT_NEWLINE_AND_TAB, escapeOne);
}

/** One line, escaped, at most `max` characters (whole code points; an ellipsis marks a cut). */
export function boundedLine(text: string, max: number): string {
  const points = Array.from(escapeControls(text));
  return points.length <= max ? points.join('') : `${points.slice(0, max - 1).join('')}…`;
}
