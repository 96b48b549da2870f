import { putPoliciesBodySchema } from '../../contract/healing';
import { labelPairProblems } from './validation';

// The label editor refuses a value for the reason the PUT refuses it: U+0000, which PostgreSQL would keep as
// U+FFFD (matching nothing), or a lone surrogate, which no label carries.

it.each([
  [
    'a\u0000b',
    'the value of "app" holds U+0000 (NUL), which the stores cannot keep alike: PostgreSQL writes it U+FFFD',
  ],
  ['cart\udc00', 'the value of "app" is not valid UTF-8 (it holds a lone surrogate): no label carries it'],
])('refuses the value %j as the PUT does', (value, message) => {
  expect(labelPairProblems([{ key: 'app', value }], 'target')).toEqual([{ key: undefined, value: message }]);
  const put = putPoliciesBodySchema.safeParse({
    policies: [{ name: 'p', action: { type: 'restart' }, match: { labels: { app: value } } }],
  });
  expect(put.error?.issues.map((i) => i.message)).toEqual([message]);
});
