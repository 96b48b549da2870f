import React, { useLayoutEffect, useMemo, useRef } from 'react';
import { InteractiveTable, type Column } from '@grafana/ui';

/** Attributes for an element the table renders (a row's `tr`, a header's `th`): test ids, state, aria-sort. */
export type ElementAttributes = Record<string, string>;

interface Props<T extends object> {
  columns: Array<Column<T>>;
  data: T[];
  getRowId: (row: T) => string;
  /** Attributes for each row's `tr`, e.g. its test id and state. */
  rowAttributes?: (row: T) => ElementAttributes;
  className?: string;
}

/**
 * Grafana's InteractiveTable, with what it has no prop for: attributes on each row's `tr`. Columns
 * and data must be memoized, as InteractiveTable asks.
 */
export function DataTable<T extends object>({ columns, data, getRowId, rowAttributes, className }: Props<T>) {
  const marked = useMemo(() => {
    const [first, ...rest] = columns;
    if (!rowAttributes || !first) {
      return columns;
    }
    const firstColumn: Column<T> = {
      ...first,
      cell: (props) => (
        <>
          <AncestorAttributes selector="tr" attributes={rowAttributes(props.row.original)} />
          {first.cell ? first.cell(props) : props.value}
        </>
      ),
    };
    return [firstColumn, ...rest];
  }, [columns, rowAttributes]);
  return <InteractiveTable className={className} columns={marked} data={data} getRowId={getRowId} />;
}

/**
 * Sets `attributes` on the nearest `selector` ancestor (a `tr` or `th` that InteractiveTable renders
 * and takes no props for) and removes them when they change or this unmounts.
 */
export function AncestorAttributes({ selector, attributes }: { selector: string; attributes: ElementAttributes }) {
  const ref = useRef<HTMLSpanElement>(null);
  // After every render (no dependency list): callers build a new object each time, and setting a few
  // attributes costs less than comparing them.
  useLayoutEffect(() => {
    const target = ref.current?.closest(selector);
    if (!target) {
      return;
    }
    const entries = Object.entries(attributes);
    entries.forEach(([name, value]) => target.setAttribute(name, value));
    return () => entries.forEach(([name]) => target.removeAttribute(name));
  });
  return <span ref={ref} hidden />;
}
