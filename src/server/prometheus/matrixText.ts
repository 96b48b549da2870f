import { parseSampleValue, sampleTimeMs } from './sample';
import type { RangeSeries } from './types';

/** How Prometheus begins a successful query_range answer (its JSON has no spaces). */
const PREFIX = '{"status":"success","data":{"resultType":"matrix","result":[';
const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const CLOSE_BRACE = 125;
const BACKSLASH = 92;

/**
 * A query_range answer read from its text straight into typed arrays, when it is written exactly
 * as Prometheus writes one: JSON.parse built an object per series and an array and a string per
 * sample (10,000 series a cycle), all garbage as soon as readMatrix copied them. Anything else (a
 * space, an escape in a string, warnings, histograms, an error, a fault anywhere, a sample value or
 * time Prometheus never writes) gives undefined: the caller then reads the answer the general way
 * (JSON.parse, the envelope, readMatrix), which refuses what is wrong with its usual message. What
 * this accepts, the general way reads the same.
 *
 * Every series' samples are views of two arrays of the whole answer: two small arrays of its own
 * cost a series ~450 B of heap (a one-step answer of 30,000 series: 13 MB that lived through the
 * step's scoring and was promoted), two views ~210 B. A series kept beyond its answer keeps the
 * answer's arrays with it.
 */
export function readMatrixText(text: string): RangeSeries[] | undefined {
  if (!text.startsWith(PREFIX)) {
    return undefined;
  }
  const reader = new TextReader(text, PREFIX.length);
  if (reader.skip(CLOSE_BRACKET)) {
    return reader.end('}}') ? [] : undefined;
  }
  const labels: Array<Record<string, string>> = [];
  const ends: number[] = [];
  for (;;) {
    const series = reader.series();
    if (!series) {
      return undefined;
    }
    labels.push(series);
    ends.push(reader.samplesRead);
    if (reader.skip(CLOSE_BRACKET)) {
      return reader.end('}}') ? reader.answer(labels, ends) : undefined;
    }
    if (!reader.skip(COMMA)) {
      return undefined;
    }
  }
}

/** A cursor over the answer's text; each method reads one piece or says it is not there (undefined / false). */
class TextReader {
  /** The answer's samples read so far, series after series (grown by doubling). */
  private times = new Float64Array(1024);
  private values = new Float64Array(1024);
  samplesRead = 0;

  constructor(
    private readonly text: string,
    private at: number
  ) {}

  /** The answer's series: series i has `labels[i]` and the samples [ends[i - 1], ends[i]). */
  answer(labels: Array<Record<string, string>>, ends: number[]): RangeSeries[] {
    const { times, values } = this;
    return labels.map((l, i) => {
      const start = i === 0 ? 0 : ends[i - 1];
      return { labels: l, timestamps: times.subarray(start, ends[i]), values: values.subarray(start, ends[i]) };
    });
  }

  skip(code: number): boolean {
    if (this.text.charCodeAt(this.at) !== code) {
      return false;
    }
    this.at++;
    return true;
  }

  literal(expected: string): boolean {
    if (!this.text.startsWith(expected, this.at)) {
      return false;
    }
    this.at += expected.length;
    return true;
  }

  /** The rest of the text is exactly `tail`. */
  end(tail: string): boolean {
    return this.at + tail.length === this.text.length && this.text.endsWith(tail);
  }

  /** `{"metric":{...},"values":[...]}`: its labels (its samples are added to the answer's). */
  series(): Record<string, string> | undefined {
    if (!this.literal('{"metric":{')) {
      return undefined;
    }
    const labels = this.labels();
    if (!labels || !this.literal(',"values":[') || !this.samples() || !this.skip(CLOSE_BRACE)) {
      return undefined;
    }
    return labels;
  }

  /** `"name":"value",...}` (the opening brace read). */
  private labels(): Record<string, string> | undefined {
    const labels: Record<string, string> = {};
    if (this.skip(CLOSE_BRACE)) {
      return labels;
    }
    for (;;) {
      const name = this.string();
      if (name === undefined || name === '__proto__' || !this.skip(COLON)) {
        return undefined;
      }
      const value = this.string();
      if (value === undefined) {
        return undefined;
      }
      labels[name] = value;
      if (this.skip(CLOSE_BRACE)) {
        return labels;
      }
      if (!this.skip(COMMA)) {
        return undefined;
      }
    }
  }

  /** `[time,"value"],...]` (the opening bracket read) added to the answer's samples; false: not so written. */
  private samples(): boolean {
    if (this.skip(CLOSE_BRACKET)) {
      return true;
    }
    for (;;) {
      if (!this.skip(OPEN_BRACKET)) {
        return false;
      }
      const time = this.number();
      if (time === undefined || !this.skip(COMMA)) {
        return false;
      }
      const text = this.string();
      if (text === undefined || !this.skip(CLOSE_BRACKET)) {
        return false;
      }
      // A time or value Prometheus never writes ("", "0x10", 1e400) is the general way's to refuse, by position.
      const ms = sampleTimeMs(time);
      const value = parseSampleValue(text);
      if (ms === undefined || value === undefined) {
        return false;
      }
      const n = this.samplesRead;
      if (n === this.times.length) {
        this.grow();
      }
      this.times[n] = ms;
      this.values[n] = value;
      this.samplesRead = n + 1;
      if (this.skip(CLOSE_BRACKET)) {
        return true;
      }
      if (!this.skip(COMMA)) {
        return false;
      }
    }
  }

  private grow(): void {
    const times = new Float64Array(this.times.length * 2);
    const values = new Float64Array(this.values.length * 2);
    times.set(this.times);
    values.set(this.values);
    this.times = times;
    this.values = values;
  }

  /** A JSON string without escapes or control characters (those are left to JSON.parse). */
  private string(): string | undefined {
    const { text } = this;
    if (text.charCodeAt(this.at) !== QUOTE) {
      return undefined;
    }
    const start = this.at + 1;
    let i = start;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        break;
      }
      // NaN: past the end.
      if (!(c >= 32) || c === BACKSLASH) {
        return undefined;
      }
      i++;
    }
    this.at = i + 1;
    return text.slice(start, i);
  }

  /** A number as JSON writes one: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
  private number(): number | undefined {
    const { text } = this;
    const start = this.at;
    let i = start;
    if (text.charCodeAt(i) === 45 /* - */) {
      i++;
    }
    if (text.charCodeAt(i) === 48 /* 0 */) {
      i++;
    } else if (!isDigit(text.charCodeAt(i))) {
      return undefined;
    } else {
      i = digits(text, i);
    }
    if (text.charCodeAt(i) === 46 /* . */) {
      if (!isDigit(text.charCodeAt(i + 1))) {
        return undefined;
      }
      i = digits(text, i + 1);
    }
    const e = text.charCodeAt(i);
    if (e === 101 /* e */ || e === 69 /* E */) {
      i++;
      const sign = text.charCodeAt(i);
      if (sign === 43 /* + */ || sign === 45 /* - */) {
        i++;
      }
      if (!isDigit(text.charCodeAt(i))) {
        return undefined;
      }
      i = digits(text, i);
    }
    this.at = i;
    return Number(text.slice(start, i));
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** The index after the run of digits starting at i. */
function digits(text: string, i: number): number {
  while (isDigit(text.charCodeAt(i))) {
    i++;
  }
  return i;
}
