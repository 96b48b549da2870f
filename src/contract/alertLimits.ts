// Bounds on what Alertmanager and Grafana alerting send to POST /api/alerts: every label and
// annotation is stored with the trigger and the actions it raises, so one oversized label must be
// refused (400, naming it) rather than written to the store, however large the body limit.
import { z } from 'zod';

export const ALERT_LIMITS = {
  labels: 64,
  annotations: 32,
  /** Label and annotation names. */
  nameLength: 128,
  labelValueLength: 1024,
  /** Descriptions and runbook text are longer than label values. */
  annotationValueLength: 8192,
  /** generatorURL, externalURL. */
  urlLength: 4096,
  /** receiver, groupKey, version, times. */
  fieldLength: 1024,
  /**
   * Alertmanager's and Grafana's are 16 hex digits; with '@' and the start time it is the alert's trigger id
   * (at most 512), so a longer one is refused here (400) rather than by the trigger's schema (500, sent again).
   */
  fingerprintLength: 256,
} as const;

/** Checked in one pass, so an oversized name is reported by its first characters, never echoed whole. */
function boundedMap(what: 'label' | 'annotation', count: number, valueLength: number) {
  return z.record(z.string(), z.string()).superRefine((map, ctx) => {
    const entries = Object.entries(map);
    if (entries.length > count) {
      ctx.addIssue({ code: 'custom', message: `at most ${count} ${what}s (got ${entries.length})` });
      return;
    }
    for (const [name, value] of entries) {
      if (name.length > ALERT_LIMITS.nameLength) {
        ctx.addIssue({
          code: 'custom',
          message: `${what} names are at most ${ALERT_LIMITS.nameLength} characters ("${name.slice(0, 32)}…" has ${name.length})`,
        });
      } else if (value.length > valueLength) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `${what} values are at most ${valueLength} characters (got ${value.length})`,
        });
      }
    }
  });
}

export const alertLabelsSchema = boundedMap('label', ALERT_LIMITS.labels, ALERT_LIMITS.labelValueLength);
export const alertAnnotationsSchema = boundedMap(
  'annotation',
  ALERT_LIMITS.annotations,
  ALERT_LIMITS.annotationValueLength
);
export const alertFieldSchema = z.string().max(ALERT_LIMITS.fieldLength);
export const alertFingerprintSchema = z.string().max(ALERT_LIMITS.fingerprintLength);
export const alertUrlSchema = z.string().max(ALERT_LIMITS.urlLength);
