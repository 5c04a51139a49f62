/**
 * Token-supplied values in a log line. `reason` is meant to be logged, and a header or claim
 * is whatever the sender wrote: a raw CR/LF would forge a second log line, an ANSI escape would
 * rewrite the terminal, a megabyte would flood the log. Every such value goes through `quote`.
 */

/** Longest part of a value shown; the rest is elided. */
const MAX_SHOWN = 100;

// JSON.stringify escapes C0 controls, `"` and `\` and lone surrogates; these it leaves alone
// but a log viewer may act on: DEL, C1 controls (0x9B is a CSI), the Unicode line separators.
// eslint-disable-next-line no-control-regex
const UNESCAPED_CONTROLS = /[\u007f-\u009f\u2028\u2029]/g;

/**
 * A token-supplied value for a log line: a string in double quotes with every control
 * character escaped, cut to 100 characters; any other value as its JSON, cut likewise;
 * `undefined` as `(none)`.
 */
export function quote(value: unknown): string {
  if (value === undefined) return '(none)';
  let text: string;
  if (typeof value === 'string') {
    text = JSON.stringify(value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value);
  } else {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      json = undefined;
    }
    text = json === undefined ? `(${typeof value})` : json.length > MAX_SHOWN + 2 ? `${json.slice(0, MAX_SHOWN)}…` : json;
  }
  return text.replace(UNESCAPED_CONTROLS, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
