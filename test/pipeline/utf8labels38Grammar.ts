import { parser } from '@prometheus-io/lezer-promql';

// PromQL as Prometheus 3 reads it, for the tests of what the backend writes with UTF-8 label names
// (Debian's Prometheus 2.42 knows only classic ones): @prometheus-io/lezer-promql, the grammar
// published from prometheus/prometheus web/ui, which Prometheus' own query editor parses with.
export type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/** The query's tree; fails naming the query and where the grammar refused it. */
export function parsed(query: string): SyntaxNode {
  const tree = parser.parse(query);
  const errors: number[] = [];
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) {
        errors.push(node.from);
      }
    },
  });
  expect({ query, errors }).toEqual({ query, errors: [] });
  return tree.topNode;
}

/** The nodes named `name` under `node`, in the query's order. */
export function descendants(node: SyntaxNode, name: string): SyntaxNode[] {
  const found: SyntaxNode[] = [];
  const cursor = node.cursor();
  do {
    if (cursor.name === name) {
      found.push(cursor.node);
    }
  } while (cursor.next() && cursor.from < node.to);
  return found;
}

export const children = (node: SyntaxNode): SyntaxNode[] => {
  const all: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) {
    all.push(child);
  }
  return all;
};

/** The text of a string literal as PromQL reads it (the backend writes only double-quoted ones). */
export function stringValue(query: string, node: SyntaxNode): string {
  const literal = query.slice(node.from, node.to);
  expect(literal.startsWith('"')).toBe(true);
  return JSON.parse(literal);
}

/** The label names of a `GroupingLabels` node, bare or quoted, as Prometheus reads them. */
export const groupingLabels = (query: string, node: SyntaxNode): string[] =>
  children(node).map((label) =>
    label.name === 'QuotedLabelName' ? stringValue(query, label.firstChild!) : query.slice(label.from, label.to)
  );
