import type { Logger } from 'pino';
import type { WatchStatus } from '../contract/pipeline';
import type { Clock } from './clock';
import { counted } from '../utils/count';

/** How often the one-line summary is logged: often enough to see the loop alive, rare enough to read. */
export const SUMMARY_EVERY_MS = 5 * 60_000;

export interface SummaryFacts {
  watches: WatchStatus[];
  openAnomalies: number;
  awaitingApproval: number;
}

/** One line an operator can read in a log: targets, open anomalies, pending actions, cycle time. */
export function summaryLine({ watches, openAnomalies, awaitingApproval }: SummaryFacts): string {
  const targets = watches.reduce((sum, w) => sum + w.targets, 0);
  const off = watches.filter((w) => w.lastError?.kind === 'unconfigured').length;
  const degraded = watches.filter((w) => w.degraded).length - off;
  const states = [off > 0 ? `${off} off` : '', degraded > 0 ? `${degraded} degraded` : ''].filter(Boolean);
  const cycles = watches.map((w) => w.lastCycleSeconds).filter((s): s is number => s !== null);
  const cycle = cycles.length > 0 ? `slowest cycle ${Math.max(...cycles).toFixed(2)} s` : 'no cycle run yet';
  return [
    `summary: ${counted(targets, 'target')} in ${counted(watches.length, 'watch', 'watches')}${
      states.length > 0 ? ` (${states.join(', ')})` : ''
    }`,
    counted(openAnomalies, 'open anomaly', 'open anomalies'),
    `${counted(awaitingApproval, 'action')} awaiting approval`,
    cycle,
  ].join(', ');
}

/** Logs the summary every `everyMs` of the clock until the returned function is called. */
export function startSummary(
  logger: Logger,
  /** Read from the store when the line is due (awaited: the store is asynchronous). */
  facts: () => SummaryFacts | Promise<SummaryFacts>,
  clock: Pick<Clock, 'every'>,
  everyMs = SUMMARY_EVERY_MS
): () => void {
  const log = (read: SummaryFacts) => logger.info(summaryLine(read));
  const failed = (err: unknown) => logger.warn({ err }, 'the periodic summary could not be built');
  return clock.every(everyMs, () => {
    try {
      const read = facts();
      if (read instanceof Promise) {
        read.then(log, failed);
      } else {
        log(read);
      }
    } catch (err) {
      failed(err);
    }
  });
}
