import { failedStatusCode } from './failedStatus';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const failure = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'no', code: 500 };

describe('failedStatusCode', () => {
  it('a 2xx whose body is a Failure Status stands for its code, 500 when it names none in range', () => {
    expect(failedStatusCode(201, json(failure))).toBe(500);
    expect(failedStatusCode(200, json({ ...failure, code: 409 }))).toBe(409);
    expect(failedStatusCode(201, json({ ...failure, code: 201 }))).toBe(500);
    expect(failedStatusCode(201, json({ ...failure, code: undefined }))).toBe(500);
  });

  it('anything else is what it says: a Success Status, an object, text, an error answer', () => {
    expect(failedStatusCode(201, json({ ...failure, status: 'Success', code: 201 }))).toBeUndefined();
    expect(failedStatusCode(200, json({ kind: 'Pod', status: { phase: 'Failed' } }))).toBeUndefined();
    expect(failedStatusCode(200, Buffer.from('ok'))).toBeUndefined();
    expect(failedStatusCode(500, json(failure))).toBeUndefined();
  });
});
