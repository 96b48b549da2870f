import { CLASSIC_LABEL_NAME } from '../../../contract/vocabulary';
import { writtenWatchSchema, type WatchDefinition } from '../../../contract/watches';
import { fieldErrors, type FieldErrors } from '../../utils/validation';

/** One query of a watch as the form edits it: a row, so a signal can be renamed and reordered. */
export interface QueryRow {
  name: string;
  query: string;
}

export interface WatchDraft {
  /** Stable per watch, for React keys and element ids. */
  uid: string;
  watch: WatchDefinition;
  rows: QueryRow[];
}

let nextUid = 0;

export function toDraft(watch: WatchDefinition): WatchDraft {
  return {
    uid: String(++nextUid),
    watch,
    rows: Object.entries(watch.queries).map(([name, query]) => ({ name, query })),
  };
}

export function fromDraft(draft: WatchDraft): WatchDefinition {
  return { ...draft.watch, queries: Object.fromEntries(draft.rows.map((r) => [r.name, r.query])) };
}

// The contract's signal names keep to the classic grammar of label names.
const SIGNAL_NAME = CLASSIC_LABEL_NAME;

/**
 * Field errors per watch, from the contract's schema (the one the backend applies), keyed for the
 * form: "name", "step", ..., and "rows.<i>.name" / "rows.<i>.query" / "rows.<i>.limit" per query.
 */
export function validateWatches(drafts: WatchDraft[]): FieldErrors[] {
  const names = drafts.map((d) => d.watch.name.trim());
  return drafts.map((draft, i) => {
    const raw = fieldErrors(writtenWatchSchema.safeParse(fromDraft(draft)));
    const errors: FieldErrors = {};
    for (const [key, message] of Object.entries(raw)) {
      const [head, signal] = key.split('.');
      const row = draft.rows.findIndex((r) => r.name === signal);
      if ((head === 'queries' || head === 'limits') && signal !== undefined) {
        // An invalid signal name is reported on the row's name below, not as its query's error.
        if (row >= 0 && SIGNAL_NAME.test(signal)) {
          errors[`rows.${row}.${head === 'queries' ? 'query' : 'limit'}`] ??= message;
        }
      } else {
        errors[key] = message;
      }
    }
    draft.rows.forEach((r, j) => {
      if (!r.name) {
        errors[`rows.${j}.name`] = 'Required';
      } else if (!SIGNAL_NAME.test(r.name)) {
        errors[`rows.${j}.name`] = 'Letters, digits and _, not starting with a digit';
      } else if (draft.rows.findIndex((o) => o.name === r.name) !== j) {
        errors[`rows.${j}.name`] = `Another query of this watch is named "${r.name}"`;
      }
    });
    if (names[i] && names.indexOf(names[i]) !== i) {
      errors.name ??= `Another watch is already named "${names[i]}"`;
    }
    return errors;
  });
}
