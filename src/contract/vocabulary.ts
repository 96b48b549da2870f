// The words the pipeline and healing APIs share, each declared once. Severity, failure model and
// band direction are the detection library's (it assesses anomalies in them); their schemas are here.
import { z } from 'zod';
import {
  BAND_DIRECTIONS,
  FAILURE_MODELS,
  SEVERITIES,
  type Direction,
  type FailureModel,
  type Severity,
} from '../detection/severity';

export type { Direction, FailureModel, Severity };

export const severitySchema = z.enum(SEVERITIES);
export const failureModelSchema = z.enum(FAILURE_MODELS);
/** Which side of its learned band a signal left. */
export const directionSchema = z.enum(BAND_DIRECTIONS);

/** Prometheus labels, or an alert's: name to value. */
export const labelsSchema = z.record(z.string(), z.string());

/** An anomaly's id as the pipeline's store issues it: one number from the pipeline through healing to the page. */
export const anomalyIdSchema = z.number().int().positive();

/**
 * A time in a query string (`from`, `to`): epoch milliseconds, a whole number as the stores keep times
 * (PostgreSQL's BIGINT columns refuse 1.5 or 1e20 with an error, not an empty page).
 */
export const epochMsParamSchema = z.coerce.number().int().nonnegative();

/** A Kubernetes object name (a DNS subdomain: at most 253 characters). */
export const k8sNameSchema = z.string().min(1).max(253);
