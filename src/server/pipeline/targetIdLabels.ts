import { promqlLabelName } from '../../contract/vocabulary';

/**
 * The target labels a target id of `watch` names (targets.ts' targetId, read back), or undefined when
 * the id is not one of that watch's. What tells a target that went (nothing lists it any more) to the
 * share of the replicas it belonged to.
 */
export function targetIdLabels(watch: string, id: string): Record<string, string> | undefined {
  if (!id.startsWith(`${watch}{`) || !id.endsWith('}')) {
    return undefined;
  }
  const inner = id.slice(watch.length + 1, -1);
  const labels: Record<string, string> = {};
  for (let at = 0; at < inner.length;) {
    const label = labelNameAt(inner, at);
    if (label === undefined || inner[label.next] !== '=' || inner[label.next + 1] !== '"') {
      return undefined;
    }
    const eq = label.next;
    const end = closingQuote(inner, eq + 2);
    // Each value is followed by a comma and the next label, or ends the id.
    if (end === undefined || (end + 1 < inner.length && (inner[end + 1] !== ',' || end + 2 === inner.length))) {
      return undefined;
    }
    const value = jsonString(inner.slice(eq + 1, end + 1));
    if (value === undefined) {
      return undefined;
    }
    labels[label.name] = value;
    at = end + 2;
  }
  return labels;
}

/** The label name targetId wrote at `at` and the index after it, or undefined when it wrote none there. */
function labelNameAt(text: string, at: number): { name: string; next: number } | undefined {
  const quoted = text[at] === '"';
  const last = quoted ? closingQuote(text, at + 1) : text.indexOf('=', at) - 1;
  if (last === undefined || last < at) {
    return undefined;
  }
  const written = text.slice(at, last + 1);
  const name = quoted ? jsonString(written) : written;
  // Only as targetId writes it (a classic name bare, any other quoted): one target, one id.
  return name !== undefined && promqlLabelName(name) === written ? { name, next: last + 1 } : undefined;
}

/** The index of the quote closing a JSON string whose text starts at `from`, if it closes. */
function closingQuote(text: string, from: number): number | undefined {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') {
      i++;
    } else if (text[i] === '"') {
      return i;
    }
  }
  return undefined;
}

/** A JSON string literal's text, or undefined for a malformed one (a bad escape). */
function jsonString(literal: string): string | undefined {
  try {
    const value: unknown = JSON.parse(literal);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
