/**
 * PostgreSQL's text cannot hold U+0000: a TEXT parameter with it fails ("invalid byte sequence for
 * encoding UTF8: 0x00") and so does JSON text with the escape `\u0000` cast to JSONB ("unsupported
 * Unicode escape sequence"). Both reach the store from outside: a Prometheus label value (the text
 * exposition format accepts the byte), an alert's labels, a comment, a list's filter. Unmapped, one
 * such series failed every cycle of its watch (one transaction) and a filter answered 500. So every
 * string parameter, in arrays too, has the character and the JSON escape replaced by U+FFFD (the
 * replacement character) on the way in: the same for what is written and for the filters that look
 * for it, so equality holds, and what SQLite stores as it came is stored here with U+FFFD.
 */
export function withoutNul(params: unknown[]): unknown[] {
  return params.map(mapped);
}

// A JSON escape is `\u0000` after an even number of backslashes; `\\` pairs are kept as they are.
const NUL = /\u0000|\\(\\|u0000)/g;

/** One string as PostgreSQL stores it: what a row read back holds, for matching it to what was written. */
export function storedText(value: string): string {
  return value.includes('\u0000') || value.includes('\\u0000')
    ? value.replace(NUL, (m: string) => (m === '\u0000' ? '\ufffd' : m === '\\\\' ? m : '\\ufffd'))
    : value;
}

function mapped(value: unknown): unknown {
  if (typeof value === 'string') {
    return storedText(value);
  }
  return Array.isArray(value) ? value.map(mapped) : value;
}
