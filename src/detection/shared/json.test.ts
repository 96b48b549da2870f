import { z } from 'zod';
import { stateIssues } from './json';

const schema = z.strictObject({ lastT: z.number(), rings: z.array(z.object({ head: z.number() })) });

function issuesOf(raw: unknown): string {
  const parsed = schema.safeParse(raw);
  if (parsed.success) {
    throw new Error('expected the check to fail');
  }
  return stateIssues(parsed.error);
}

describe('stateIssues', () => {
  it('names each failing field by its dotted path, problems joined by "; "', () => {
    expect(issuesOf({ lastT: 'x', rings: [{ head: 1 }, { head: null }] })).toBe(
      'lastT: Invalid input: expected number, received string; rings.1.head: Invalid input: expected number, received null'
    );
  });

  it('gives the bare message when the whole value failed', () => {
    expect(issuesOf('x')).toBe('Invalid input: expected object, received string');
  });
});
