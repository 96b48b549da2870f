/**
 * How the 404 of a record a retention may have deleted (an action, an anomaly) ends when that
 * retention is on: the server writes it, and the app tells "no longer kept" from "not found" by it,
 * as the error body carries no more than a code and a message.
 */
export const MAY_HAVE_BEEN_PRUNED = 'so it may have been pruned';

/** Whether a 404's message says the record may have been pruned, rather than only that it is not there. */
export const mayHaveBeenPruned = (message: string): boolean => message.endsWith(MAY_HAVE_BEEN_PRUNED);
