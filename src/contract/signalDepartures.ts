import { z } from 'zod';

/**
 * How a signal departed from normal during an anomaly: it left its learned band, its series stopped,
 * it departed from its peers, or its limit's crossing was forecast near. A signal and the way it
 * departed are its identity in the anomaly's `signals`: named once however long it stays so. What
 * changes from step to step (its value, the forecast's time left) is the target's, not the name's.
 */
export const DEPARTURE_KINDS = ['band', 'stop', 'peer', 'forecast'] as const;
export type DepartureKind = (typeof DEPARTURE_KINDS)[number];

export interface SignalDeparture {
  signal: string;
  kind: DepartureKind;
}

/** What follows the signal's name in its label; its own band's departure is the bare name. */
const SUFFIXES: Record<Exclude<DepartureKind, 'band'>, string> = {
  stop: ' (stopped)',
  peer: ' (vs peers)',
  forecast: ' (limit forecast)',
};

/**
 * A forecast as builds before this module named it, with its countdown: "(limit 0.95 in 42 min or
 * later)", "(limit 0.95 in 42 min)", "(limit 0.95 possibly reached now)", "(already above limit 0.95)".
 */
const COUNTDOWN_SUFFIX =
  / \((?:limit \S+ (?:in \d+ min(?: or later)?|possibly reached now)|already (?:above|below) limit \S+)\)$/;

/** The label of a signal's departure in an anomaly's `signals`. */
export function departureLabel({ signal, kind }: SignalDeparture): string {
  return kind === 'band' ? signal : signal + SUFFIXES[kind];
}

/**
 * The departure a label names, earlier builds' countdowns included. Read from its end: a signal's
 * name may hold a series' labels (`memory{container="a (b)"}`), but never ends in a suffix.
 */
export function departureOf(label: string): SignalDeparture {
  for (const kind of ['stop', 'peer', 'forecast'] as const) {
    if (label.endsWith(SUFFIXES[kind])) {
      return { signal: label.slice(0, -SUFFIXES[kind].length), kind };
    }
  }
  const countdown = COUNTDOWN_SUFFIX.exec(label);
  return countdown ? { signal: label.slice(0, countdown.index), kind: 'forecast' } : { signal: label, kind: 'band' };
}

/** Labels as this build names them, each departure once, in the order first named (an anomaly stored by any build). */
export function departureLabels(labels: readonly string[]): string[] {
  return [...new Set(labels.map((label) => departureLabel(departureOf(label))))];
}

/** An anomaly's `signals` read back from the store: each departure named once, as this build names it. */
export const departureLabelsSchema = z.array(z.string()).transform(departureLabels);
