import { sampledQuerier } from '../harness/spikingFleet';
import { HOUR, MINUTE } from './helpers';

// Two jobs, of which j2 goes (no sample from GONE_AT) and comes back at BACK_AT: long enough gone
// (pipeline.staleAfter 30 min) for the pipeline to forget it and retire its model.

const T0 = Date.UTC(2025, 0, 6);
export const GONE_AT = T0 + 2 * HOUR;
export const BACK_AT = GONE_AT + 2 * HOUR;

export const goneQuerier = sampledQuerier([
  { labels: { job: 'j1' }, value: (t) => 10 + Math.sin(t / (7 * MINUTE)) },
  { labels: { job: 'j2' }, value: (t) => (t < GONE_AT || t >= BACK_AT ? 20 + Math.cos(t / (5 * MINUTE)) : NaN) },
]);

export const goneConfig = {
  watches: [{ name: 'w', queries: { x: 'x' }, target: ['job'], step: '1m', history: '3h', lag: 0, detector: 'zscore' }],
  pipeline: { staleAfter: '30m' },
};
