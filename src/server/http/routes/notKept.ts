import type { ErrorBody } from '../../../contract/health';
import { MAY_HAVE_BEEN_PRUNED } from '../../../contract/notKept';

/** Records a retention deletes once they are older than its days (FP_HEALING_RETENTION_DAYS, FP_DETECTION_RETENTION_DAYS). */
export interface Retention {
  /** What the retention deletes, as the 404 names it ("finished actions"). */
  records: string;
  /** 0 keeps everything. */
  days: number;
}

/**
 * The 404 of a record a retention may have deleted. Links to it outlive it (Grafana keeps the
 * annotations that name it), so with the retention on the answer says how long such records are
 * kept; "may", as ids can also simply never have existed (PostgreSQL sequences skip numbers). With it
 * off nothing is pruned: the answer only says the record is not there.
 */
export function notKeptBody(missing: string, retention: Retention): ErrorBody {
  const { records, days } = retention;
  return {
    error: 'not_found',
    message:
      days > 0
        ? `${missing}: ${records} are kept ${days} ${days === 1 ? 'day' : 'days'}, ${MAY_HAVE_BEEN_PRUNED}`
        : missing,
  };
}
