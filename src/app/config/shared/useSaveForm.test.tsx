import { act, renderHook } from '@testing-library/react';
import { useSaveForm } from './useSaveForm';

const setup = () =>
  renderHook(() =>
    useSaveForm<'saving' | 'resetting'>({ dirty: true, invalidCount: 0 }, (err) => `refused: ${String(err)}`)
  );

describe('useSaveForm', () => {
  it('is busy with the running request, then keeps the message it answered', async () => {
    const { result } = setup();
    let answer!: (message: string) => void;
    let running!: Promise<void>;
    act(() => {
      running = result.current.run('resetting', () => new Promise((resolve) => (answer = resolve)));
    });
    expect(result.current.busy).toBe('resetting');
    await act(async () => {
      answer('Back to the default watches.');
      await running;
    });
    expect(result.current.busy).toBeUndefined();
    expect(result.current.result).toEqual({ ok: true, message: 'Back to the default watches.' });
  });

  it('says a failure in the words given, and forgets the outcome when a field changes', async () => {
    const { result } = setup();
    await act(() => result.current.run('saving', () => Promise.reject('403')));
    expect(result.current.result).toEqual({ ok: false, message: 'refused: 403' });
    expect(result.current.busy).toBeUndefined();
    act(() => result.current.clearResult());
    expect(result.current.result).toBeUndefined();
  });
});
