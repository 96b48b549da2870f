import { codeOf, messageOf, stackOf } from './messageOf';

test('what a caught value says, whatever was thrown', () => {
  const err = new Error('disk full');
  expect(messageOf(err)).toBe('disk full');
  expect(stackOf(err)).toMatch(/^Error: disk full\n\s+at /);
  for (const thrown of [null, undefined, 'plain text', 42, { message: 7 }]) {
    expect(messageOf(thrown)).toBe(String(thrown));
    expect(stackOf(thrown)).toBe(String(thrown));
  }
  expect(codeOf(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe('ENOENT');
  expect(codeOf(null)).toBeUndefined();
});
