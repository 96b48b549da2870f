import { useState } from 'react';
import { messageOf } from '../../api/fetchFailure';
import { useUnsavedChangesWarning } from '../../utils/useUnsavedChangesWarning';
import { useTypedWords } from './typedWords';

export interface SaveResult {
  ok: boolean;
  message: string;
}

/** Where a config tab's form stands: what its SaveFooter shows. */
export interface SaveState {
  dirty: boolean;
  /** How many items have invalid fields (a word a tag field refused is one): no save until none. */
  invalidCount: number;
  result?: SaveResult;
  /** The request running now ('saving' or another of the tab's own), if any. */
  busy?: string;
}

/**
 * Whether a form changed, and its items with invalid fields: named by the key its TypedWordsItem
 * gives their tag fields (an item with a refused word too then counts once), or counted when its tag
 * fields are in no item (each refused word then counts as one more).
 */
export type FormStatus = { dirty: boolean } & ({ invalidItems: readonly string[] } | { invalidCount: number });

export interface SaveForm<K extends string> extends SaveState {
  busy?: K;
  /** For a TypedWordsProvider around the form's fields: a word typed into a tag field makes the form dirty. */
  reportTypedWord: ReturnType<typeof useTypedWords>['report'];
  /** A field changed: the last outcome no longer describes the form. */
  clearResult: () => void;
  /** Runs one request as `kind`: the message it resolves with, or its failure in words, becomes the result. */
  run: (kind: K, call: () => Promise<string>) => Promise<void>;
}

/**
 * The save cycle the config tabs share: a warning before leaving with unsaved changes (a word left
 * typed in a tag field is one), one request at a time, and the last outcome until a field changes.
 */
export function useSaveForm<K extends string = 'saving'>(
  form: FormStatus,
  describeFailure: (err: unknown) => string = messageOf
): SaveForm<K> {
  const [busy, setBusy] = useState<K>();
  const [result, setResult] = useState<SaveResult>();
  const typedWords = useTypedWords();
  const dirty = form.dirty || typedWords.typing;
  const refused = typedWords.refusedItems;
  const invalidCount =
    'invalidItems' in form ? new Set([...form.invalidItems, ...refused]).size : form.invalidCount + refused.size;
  useUnsavedChangesWarning(dirty);
  const run = async (kind: K, call: () => Promise<string>) => {
    setBusy(kind);
    setResult(undefined);
    try {
      setResult({ ok: true, message: await call() });
    } catch (err) {
      setResult({ ok: false, message: describeFailure(err) });
    } finally {
      setBusy(undefined);
    }
  };
  return {
    dirty,
    invalidCount,
    busy,
    // A typed word is a change already: the outcome goes as it is typed, not on the blur that adds it,
    // which would move Save up from under the press that blurred it.
    result: typedWords.typing ? undefined : result,
    reportTypedWord: typedWords.report,
    clearResult: () => setResult(undefined),
    run,
  };
}
