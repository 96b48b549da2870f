import { messageOf, readFetchFailure } from './fetchFailure';

describe('readFetchFailure', () => {
  it("reads a FetchError's status, text and error body", () => {
    const failure = readFetchFailure({
      status: 503,
      statusText: 'Service Unavailable',
      data: { error: 'overloaded', message: 'busy, retry in 1 s' },
    });
    expect(failure).toEqual({
      status: 503,
      statusText: 'Service Unavailable',
      data: { error: 'overloaded', message: 'busy, retry in 1 s' },
      body: { error: 'overloaded', message: 'busy, retry in 1 s' },
    });
  });

  it('takes a field of another type as absent, and anything thrown that is not an object as nothing', () => {
    expect(readFetchFailure({ status: '502', data: { message: 42, error: 'bad_gateway' } })).toEqual({
      status: undefined,
      data: { message: 42, error: 'bad_gateway' },
      body: { error: 'bad_gateway' },
    });
    expect(readFetchFailure({ status: 500, data: '<html>oops</html>' }).body).toEqual({});
    expect(readFetchFailure(undefined)).toEqual({ data: undefined, body: {} });
    expect(readFetchFailure('boom')).toEqual({ data: undefined, body: {} });
  });
});

describe('messageOf', () => {
  it('gives an Error its message and anything else its text', () => {
    expect(messageOf(new Error('no route'))).toBe('no route');
    expect(messageOf('plain')).toBe('plain');
  });
});
