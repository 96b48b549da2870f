import { policyListSchema, policySchema, safetyLimitsSchema } from '../../contract/healing';
import { firstRung, rung } from './ladder';

const limits = safetyLimitsSchema.parse({ verification: { windowSeconds: 600 } });
const ladder = policySchema.parse({
  name: 'l',
  action: { type: 'restart' },
  gate: 'auto',
  steps: [{ action: { type: 'scale' }, verifySeconds: 120 }, { action: { type: 'notify' } }],
});

it('numbers the policy action as step 1 and its steps after it, with their gates and windows', () => {
  expect(rung(ladder, 1, limits)).toEqual({ action: { type: 'restart' }, gate: 'auto', verifySeconds: 600 });
  expect(rung(ladder, 2, limits)).toEqual({ action: { type: 'scale' }, gate: 'approve', verifySeconds: 120 });
  expect(rung(ladder, 3, limits)).toMatchObject({ action: { type: 'notify' }, verifySeconds: 600 });
  expect(rung(ladder, 4, limits)).toBeUndefined();
  expect(firstRung(ladder, limits)).toEqual({ policy: 'l', step: 1, steps: 3, verifySeconds: 600, previous: [] });
  expect(firstRung(policySchema.parse({ name: 'p', action: { type: 'restart' } }), limits)).toBeUndefined();
});

it('refuses a ladder that repeats an action type: a trigger runs an action on a target once', () => {
  const again = policyListSchema.safeParse([
    { name: 'l', action: { type: 'restart' }, steps: [{ action: { type: 'restart' } }] },
  ]);
  expect(again.success).toBe(false);
  expect(again.error?.issues[0].message).toMatch(/other action types than the policy's first action/);
  const twice = policySchema.safeParse({
    name: 'l',
    action: { type: 'restart' },
    steps: [{ action: { type: 'notify' } }, { action: { type: 'notify' } }],
  });
  expect(twice.error?.issues[0].message).toBe('each step of a ladder takes another action type');
});
