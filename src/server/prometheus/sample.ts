/**
 * A sample's value and time as Prometheus writes them, and nothing else. Its JSON codec
 * (util/jsonutil MarshalValue) writes a value as a string: strconv.AppendFloat(v, 'f', -1, 64), or
 * 'e' below 1e-6 and from 1e21 ("1e-07", "1.5e+21"), which writes NaN and ±Inf as "NaN", "+Inf"
 * and "-Inf"; Thanos and Mimir answer through the same codec, VictoriaMetrics through its own
 * ("1e+06" included). Each form is a JSON number or one of those three words. A time is a JSON
 * number of seconds (MarshalTimestamp: up to three decimals). Anything else (`""`, `" 7 "`, `"0x10"`,
 * `"Infinity"`, `"1e309"`, a time of 1e400) is not an answer of theirs: Number() would read it as
 * 0, 7, 16 or Infinity without a word.
 */

/** A JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/** What a refused value should have been, for the error that names it. */
export const SAMPLE_VALUE_EXPECTED = 'a decimal number, NaN, +Inf or -Inf in a string';
/** What a refused time should have been. */
export const SAMPLE_TIME_EXPECTED = 'a finite time in seconds';

/** A sample's value as Prometheus writes it (NaN and ±Inf as words: JSON has no such numbers); undefined for any other text. */
export function parseSampleValue(text: string): number | undefined {
  switch (text) {
    case 'NaN':
      return NaN;
    case '+Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    default: {
      if (!JSON_NUMBER.test(text)) {
        return undefined;
      }
      // "1e309" is a number in form but not in value: Prometheus writes an infinite value "+Inf".
      const value = Number(text);
      return Number.isFinite(value) ? value : undefined;
    }
  }
}

/** A sample's time (seconds, as Prometheus writes it) in epoch milliseconds; undefined when that is not finite. */
export function sampleTimeMs(seconds: number): number | undefined {
  const ms = Math.round(seconds * 1000);
  return Number.isFinite(ms) ? ms : undefined;
}

/** A refused value as the error quotes it: at most 32 characters of it. */
export function quotedValue(text: string): string {
  return JSON.stringify(text.length > 32 ? `${text.slice(0, 32)}…` : text);
}
