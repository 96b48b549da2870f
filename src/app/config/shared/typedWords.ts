import { createContext, useCallback, useContext, useEffect, useId, useState } from 'react';

/**
 * A word typed into a tag field and not yet added as a tag is a change the form has not seen:
 * TagsInput keeps it to itself until Enter or blur. The form must count it, or its Save button
 * stays disabled while the mouse goes down on it, and the browser drops that click even though the
 * blur it causes adds the word and enables the button before the mouse comes up.
 */
const TypedWordsContext = createContext<((field: string, typed: boolean) => void) | undefined>(undefined);

/** Gives the tag fields inside a form the reporter that form's useTypedWords returned. */
export const TypedWordsProvider = TypedWordsContext.Provider;

/** For a form: whether any of its tag fields holds a typed word, and the reporter to provide to them. */
export function useTypedWords(): { typing: boolean; report: (field: string, typed: boolean) => void } {
  const [fields, setFields] = useState<ReadonlySet<string>>(() => new Set());
  const report = useCallback(
    (field: string, typed: boolean) =>
      setFields((current) => {
        if (current.has(field) === typed) {
          return current;
        }
        const next = new Set(current);
        if (typed) {
          next.add(field);
        } else {
          next.delete(field);
        }
        return next;
      }),
    []
  );
  return { typing: fields.size > 0, report };
}

/** For a tag field: tells its form, if any, whether it holds a word that adding would change the list with. */
export function useReportTypedWord(typed: boolean): void {
  const report = useContext(TypedWordsContext);
  const field = useId();
  useEffect(() => {
    if (!report || !typed) {
      return;
    }
    report(field, true);
    // Also when the field goes away (its policy deleted, or the list it edits hidden) with the word.
    return () => report(field, false);
  }, [report, field, typed]);
}
