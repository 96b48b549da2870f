import { z } from 'zod';
import { BACKEND_PROXY_URL } from '../../constants';
import { installFakeBackendSrv, requestsTo } from '../testUtils/fakeBackendSrv';
import { BackendError, backendRequest, shedRetry } from './backend';

const schema = z.object({ value: z.number() });

describe('backendRequest', () => {
  it('calls the plugin proxy route and returns the validated body', async () => {
    const fetch = installFakeBackendSrv({ 'GET api/thing': { data: { value: 3 } } });
    await expect(backendRequest('/api/thing', schema, { params: { q: 'x' } })).resolves.toEqual({ value: 3 });
    const [request] = requestsTo(fetch, 'GET', 'api/thing');
    expect(request.url).toBe(`${BACKEND_PROXY_URL}/api/thing`);
    expect(request.params).toEqual({ q: 'x' });
    // Errors are shown by the page, not by Grafana's global toast.
    expect(request.showErrorAlert).toBe(false);
  });

  it('sends the method and body it is given', async () => {
    const fetch = installFakeBackendSrv({ 'POST api/actions/a1/approve': { data: { value: 1 } } });
    await backendRequest('api/actions/a1/approve', schema, { method: 'POST', data: { comment: 'ok' } });
    expect(requestsTo(fetch, 'POST', 'api/actions/a1/approve')[0].data).toEqual({ comment: 'ok' });
  });

  it('refuses an answer of the wrong shape, naming the field', async () => {
    installFakeBackendSrv({ 'GET api/thing': { data: { value: 'three' } } });
    await expect(backendRequest('api/thing', schema)).rejects.toThrow(
      /value: .*are the plugin and the backend the same version/
    );
  });

  it.each([
    [401, { message: 'x' }, /refused the token/],
    [403, { message: 'only admins' }, /permission denied: only admins/],
    [403, undefined, /your Grafana role does not allow this/],
    [502, undefined, /unreachable \(is it running/],
    [502, { message: 'dial tcp: connection refused' }, /unreachable: dial tcp: connection refused/],
    [400, { error: 'bad_request', message: 'comment: too long' }, /^comment: too long$/],
  ])('turns HTTP %s into words an operator understands', async (status, data, expected) => {
    installFakeBackendSrv({ 'GET api/thing': { status, data } });
    const error = await backendRequest('api/thing', schema).catch((e) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect(error.status).toBe(status);
    expect(error.message).toMatch(expected);
  });

  describe('when the backend sheds a request (503 "overloaded")', () => {
    const busy = {
      status: 503,
      data: { error: 'overloaded', message: 'the backend is busy (250 ms behind); retry shortly' },
    };
    let waits: number[];
    beforeEach(() => {
      waits = [];
      jest.spyOn(shedRetry, 'wait').mockImplementation(async (ms) => {
        waits.push(ms);
      });
    });
    afterEach(() => jest.restoreAllMocks());

    it('asks again for a read, a second later, and returns the answer', async () => {
      let calls = 0;
      const fetch = installFakeBackendSrv({ 'GET api/thing': () => (++calls < 3 ? busy : { data: { value: 7 } }) });
      await expect(backendRequest('api/thing', schema)).resolves.toEqual({ value: 7 });
      expect(requestsTo(fetch, 'GET', 'api/thing')).toHaveLength(3);
      expect(waits).toEqual([1000, 1000]);
    });

    it('gives up after two retries with the busy message, not "unreachable"', async () => {
      const fetch = installFakeBackendSrv({ 'GET api/thing': busy });
      const error = await backendRequest('api/thing', schema).catch((e) => e);
      expect(error).toBeInstanceOf(BackendError);
      expect(error.message).toBe('the backend is busy (250 ms behind); retry shortly');
      expect(requestsTo(fetch, 'GET', 'api/thing')).toHaveLength(3);
    });

    it('never repeats a write, and a 503 from a proxy is still "unreachable"', async () => {
      const fetch = installFakeBackendSrv({
        'POST api/actions/1/approve': busy,
        'GET api/other': { status: 503, data: { message: 'no healthy upstream' } },
      });
      await expect(backendRequest('api/actions/1/approve', schema, { method: 'POST' })).rejects.toThrow(
        'the backend is busy'
      );
      expect(requestsTo(fetch, 'POST', 'api/actions/1/approve')).toHaveLength(1);
      await expect(backendRequest('api/other', schema)).rejects.toThrow(
        'the backend is unreachable: no healthy upstream'
      );
      expect(requestsTo(fetch, 'GET', 'api/other')).toHaveLength(1);
      expect(waits).toEqual([]);
    });
  });
});
