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

describe('useSaveForm with a word a tag field refused', () => {
  it('counts the item holding it as invalid once, whether or not its own fields are invalid too', () => {
    const { result, rerender } = renderHook((invalidItems: string[]) => useSaveForm({ dirty: false, invalidItems }), {
      initialProps: ['policy-1'],
    });
    expect([result.current.invalidCount, result.current.dirty]).toEqual([1, false]);
    act(() => result.current.reportTypedWord('labels', { typed: true, refused: true, item: 'policy-1' }));
    expect([result.current.invalidCount, result.current.dirty]).toEqual([1, true]);
    act(() => result.current.reportTypedWord('deny', { typed: true, refused: true, item: 'limits' }));
    expect(result.current.invalidCount).toBe(2);
    rerender([]);
    expect(result.current.invalidCount).toBe(2);
    act(() => result.current.reportTypedWord('labels', { typed: true, refused: false, item: 'policy-1' }));
    expect(result.current.invalidCount).toBe(1);
    act(() => result.current.reportTypedWord('deny', undefined));
    expect([result.current.invalidCount, result.current.dirty]).toEqual([0, true]);
  });

  it('adds it to the count of a form whose tag fields are in no item', () => {
    const { result } = renderHook(() => useSaveForm({ dirty: false, invalidCount: 1 }));
    act(() => result.current.reportTypedWord('peers', { typed: true, refused: true, item: 'peers' }));
    expect(result.current.invalidCount).toBe(2);
  });
});
