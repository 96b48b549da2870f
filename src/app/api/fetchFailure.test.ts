import { installFakeBackendSrv, requestsTo } from '../testUtils/fakeBackendSrv';
import { shedRetry, toBackendError } from './backend';
import { messageOf, readErrorBody, readFetchFailure } from './fetchFailure';
import { exportAudit, healingPaths } from './healing';

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

describe('an error body that came as text', () => {
  const busyBody = { error: 'overloaded', message: '4 audit exports are downloading; retry shortly' };
  const busyText = JSON.stringify(busyBody);

  it('is read as JSON: as the string a request for text gets, and as Grafana wraps a text body', () => {
    expect(readFetchFailure({ status: 503, statusText: 'Service Unavailable', data: busyText }).body).toEqual(busyBody);
    const wrapped = { message: busyText, error: 'Service Unavailable', response: busyText };
    expect(readFetchFailure({ status: 503, statusText: 'Service Unavailable', data: wrapped }).body).toEqual(busyBody);
    expect(readErrorBody(busyText)).toEqual(busyBody);
  });

  it('is shown as the backend said it, not as "the backend is unreachable"', () => {
    expect(toBackendError({ status: 503, statusText: 'Service Unavailable', data: busyText }).message).toBe(
      '4 audit exports are downloading; retry shortly'
    );
    expect(
      toBackendError({
        status: 503,
        statusText: 'Service Unavailable',
        data: { message: busyText, error: 'Service Unavailable', response: busyText },
      }).message
    ).toBe('4 audit exports are downloading; retry shortly');
  });

  it('is its own message when it is plain text, on one line and cut when long; a web page or nothing is none', () => {
    expect(readErrorBody('no healthy upstream\n')).toEqual({ message: 'no healthy upstream' });
    expect(
      readErrorBody({ message: 'upstream\n  reset', error: 'Bad Gateway', response: 'upstream\n  reset' })
    ).toEqual({
      message: 'upstream reset',
    });
    const long = readErrorBody('x'.repeat(1000)).message!;
    expect(long).toHaveLength(300);
    expect(long.endsWith('…')).toBe(true);
    expect(readErrorBody('<!DOCTYPE html><html><body>502 Bad Gateway</body></html>')).toEqual({});
    expect(readErrorBody('  ')).toEqual({});
    // Grafana gives an empty text body the status text as its message: that is no word from the backend.
    expect(readErrorBody({ message: 'Bad Gateway', error: 'Bad Gateway', response: '' })).toEqual({});
    expect(toBackendError({ status: 502, data: '' }).message).toBe(
      'the backend is unreachable (is it running, and is the backend URL right?)'
    );
  });

  it('tells the audit export a busy backend from an unreachable one, after asking again', async () => {
    const waits: number[] = [];
    jest.spyOn(shedRetry, 'wait').mockImplementation(async (ms) => {
      waits.push(ms);
    });
    try {
      const fetch = installFakeBackendSrv({ [`GET ${healingPaths.audit}`]: { status: 503, data: busyText } });
      await expect(exportAudit({}, 'csv')).rejects.toThrow(/^4 audit exports are downloading; retry shortly$/);
      expect(requestsTo(fetch, 'GET', healingPaths.audit)).toHaveLength(3);
      expect(waits).toEqual([1000, 1000]);
    } finally {
      jest.restoreAllMocks();
    }
  });
});

describe('messageOf', () => {
  it('gives an Error its message and anything else its text', () => {
    expect(messageOf(new Error('no route'))).toBe('no route');
    expect(messageOf('plain')).toBe('plain');
  });
});
