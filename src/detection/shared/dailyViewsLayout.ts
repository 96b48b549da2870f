/**
 * The state layout of DailyViewsDetector: slots of its scalar state (shared ones first, a
 * subclass's after SHARED_SLOTS), of each view, and of each profile bucket; and which slots start
 * infinite (JSON stores them as null). Modules that read slots per sample bind them once
 * (`const { S_COUNT } = layout`), not by named import: under tsx every read of a named import
 * is two getter calls, which made update() 4-5x slower (RESULTS.md, issue 12).
 */

export const S_LAST_T = 0;
export const S_LAST_SCORE = 1;
export const S_COUNT = 2;
export const S_MIN = 3;
export const S_MAX = 4;
export const S_MEMORY = 5;
export const S_PREV = 6;
export const S_STEP = 7;
export const S_RAISED_AT = 8;
export const S_LEVEL = 9;
export const S_BASE = 10;
export const S_BASE_DEV = 11;
export const S_ALARM_AT = 12;
export const S_REF_MEAN = 13;
export const S_REF_SCALE = 14;
export const S_REF_UNTIL = 15;
export const S_TYP_STEP = 16;
export const S_ELAPSED = 17;
export const S_BASE_W = 18;
/** The first slot a subclass may use. */
export const SHARED_SLOTS = 19;
const SHARED_INFINITE: Record<number, number> = {
  [S_LAST_T]: -Infinity,
  [S_MIN]: Infinity,
  [S_MAX]: -Infinity,
  [S_RAISED_AT]: -Infinity,
  [S_ALARM_AT]: -Infinity,
  [S_REF_UNTIL]: -Infinity,
};
/** Per view: short average of the surprise, tail threshold, mean excess, long-run mean. */
export const V_SHORT = 0;
export const V_TAIL_AT = 1;
export const V_EXCESS = 2;
export const V_MEAN = 3;
/** Surprises the view's tail has learned from (it alarms only after VIEW_WARMUP). */
export const V_COUNT = 4;
/** ... and the data, in ms, behind them (it alarms only after WARMUP reference steps of it). */
export const V_TIME = 5;
export const V_SIZE = 6;
/** Per bucket of the profile: mean (0), mean absolute deviation (1), samples, data learned in ms. */
export const P_COUNT = 2;
export const P_WEIGHT = 3;
export const P_SIZE = 4;

/** The infinite slots of a subclass's layout (its own, from a module constant), merged once per subclass. */
const infiniteBySubclass = new WeakMap<Readonly<Record<number, number>>, Readonly<Record<number, number>>>();

export function infiniteSlots(own: Readonly<Record<number, number>>): Readonly<Record<number, number>> {
  let merged = infiniteBySubclass.get(own);
  if (!merged) {
    merged = Object.freeze({ ...SHARED_INFINITE, ...own });
    infiniteBySubclass.set(own, merged);
  }
  return merged;
}
