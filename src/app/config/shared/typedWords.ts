import { createContext, useCallback, useContext, useEffect, useId, useMemo, useState } from 'react';

/**
 * What a tag field holds that its form must count. A word typed into its box and not yet added as a
 * tag is a change the form has not seen: the field keeps it to itself until Enter or blur. The form
 * must count it, or its Save button stays disabled while the mouse goes down on it, and the browser
 * drops that click even though the blur it causes adds the word and enables the button before the
 * mouse comes up. A word the field refused stays in its box, with the reason shown, and a tag a stored
 * list holds twice shows why too: the form must count either as refused, or Save would save the list
 * without the word, or with the repeat (which only a list stored by other means holds).
 */
export interface FieldState {
  typed: boolean;
  refused: boolean;
}

interface FieldWord extends FieldState {
  /** The item (TypedWordsItem) the field belongs to, or the field itself. */
  item: string;
}

type Reporter = (field: string, word: FieldWord | undefined) => void;

const TypedWordsContext = createContext<Reporter | undefined>(undefined);
const ItemContext = createContext<string | undefined>(undefined);

/** Gives the tag fields inside a form the reporter that form's useTypedWords returned. */
export const TypedWordsProvider = TypedWordsContext.Provider;

/** The item of a form (a policy, the safety limits) the tag fields inside belong to, by the key the form names it with. */
export const TypedWordsItem = ItemContext.Provider;

/** For a form: whether any of its tag fields holds a typed word, the items refusing what one holds, and the reporter to provide. */
export function useTypedWords(): { typing: boolean; refusedItems: ReadonlySet<string>; report: Reporter } {
  const [fields, setFields] = useState<ReadonlyMap<string, FieldWord>>(() => new Map());
  const report = useCallback<Reporter>(
    (field, word) =>
      setFields((current) => {
        const now = current.get(field);
        if (now?.typed === word?.typed && now?.refused === word?.refused && now?.item === word?.item) {
          return current;
        }
        const next = new Map(current);
        if (word) {
          next.set(field, word);
        } else {
          next.delete(field);
        }
        return next;
      }),
    []
  );
  const refusedItems = useMemo(
    () => new Set(Array.from(fields.values(), (w) => (w.refused ? w.item : undefined)).filter((i) => i !== undefined)),
    [fields]
  );
  const typing = useMemo(() => Array.from(fields.values()).some((w) => w.typed), [fields]);
  return { typing, refusedItems, report };
}

/** For a tag field: tells its form, if any, what it holds (nothing typed: no word, or one adding would not change the list). */
export function useReportFieldState({ typed, refused }: FieldState): void {
  const report = useContext(TypedWordsContext);
  const field = useId();
  const item = useContext(ItemContext) ?? field;
  useEffect(() => {
    if (!report || (!typed && !refused)) {
      return;
    }
    report(field, { typed, refused, item });
    // Also when the field goes away (its policy deleted, or the list it edits hidden) with the word.
    return () => report(field, undefined);
  }, [report, field, item, typed, refused]);
}
