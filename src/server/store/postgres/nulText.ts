/**
 * What PostgreSQL's text and JSONB cannot hold, which SQLite stores as it came:
 * - U+0000: a TEXT parameter with it fails ("invalid byte sequence for encoding UTF8: 0x00"), and so
 *   does JSON text with the escape `\u0000` cast to JSONB ("unsupported Unicode escape sequence");
 * - a lone UTF-16 surrogate: JSON text with the escape `\ud800` (what JSON.stringify writes for one) is
 *   refused by JSONB ("Unicode low surrogate must follow a high surrogate"); in a TEXT parameter the
 *   driver's UTF-8 encoding writes it U+FFFD already.
 * Both reach the store from outside: a Prometheus label value (the text exposition format accepts the
 * byte), an alert's labels, a comment, a list's filter. Unmapped, one such series failed every cycle of
 * its watch (one transaction), a filter answered 500 and `store:copy` stopped. So every string
 * parameter, in arrays too, has U+0000 and those escapes written U+FFFD (the replacement character) on
 * the way in: the same for what is written and for the filters that look for it, so equality holds.
 */
export function withoutNul(params: unknown[]): unknown[] {
  return params.map(mapped);
}

// An escape in JSON text: `\\` pairs are kept, and so is a surrogate pair; U+0000 and a lone surrogate are not.
const JSON_ESCAPE =
  /\\(?:\\|u0000|u[dD][89abAB][0-9a-fA-F]{2}(?:\\u[dD][c-fC-F][0-9a-fA-F]{2})?|u[dD][c-fC-F][0-9a-fA-F]{2})/g;
const SURROGATE_PAIR_ESCAPE_LENGTH = 12;

/** One string as PostgreSQL stores it: what a row read back holds, for matching it to what was written. */
export function storedText(value: string): string {
  // A lone surrogate in text is left to the driver: its UTF-8 encoding writes it U+FFFD.
  const text = value.includes('\u0000') ? value.replaceAll('\u0000', '\ufffd') : value;
  if (!text.includes('\\u')) {
    return text;
  }
  // Only JSON text has escapes to map: a user's text holding the six characters `\u0000` keeps them (a
  // text that is itself JSON, say `"\u0000"` with its quotes, cannot be told from a JSON value's).
  const escaped = text.replace(JSON_ESCAPE, jsonEscape);
  return escaped !== text && isJson(text) ? escaped : text;
}

const jsonEscape = (escape: string): string =>
  escape === '\\\\' || escape.length === SURROGATE_PAIR_ESCAPE_LENGTH ? escape : '\\ufffd';

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function mapped(value: unknown): unknown {
  if (typeof value === 'string') {
    return storedText(value);
  }
  return Array.isArray(value) ? value.map(mapped) : value;
}
