import { apiFields } from './rows';

describe('apiFields', () => {
  it('names each column in camelCase, in the row order, and leaves NULL and absent columns out', () => {
    const fields = apiFields({
      id: 7,
      trigger_key: 'anomaly:1',
      window_seconds_2: 60,
      closed_at: null,
      claimed_by: undefined,
      ok: false,
      count_n: 0,
      note: '',
    });
    expect(fields).toStrictEqual({
      id: 7,
      triggerKey: 'anomaly:1',
      windowSeconds2: 60,
      ok: false,
      countN: 0,
      note: '',
    });
    expect(Object.keys(fields)).toEqual(['id', 'triggerKey', 'windowSeconds2', 'ok', 'countN', 'note']);
  });
});
