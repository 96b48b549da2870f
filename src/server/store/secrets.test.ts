import { ephemeralSecretBox, SecretError } from './secrets';

describe('sealed secrets', () => {
  const box = ephemeralSecretBox();
  const sealed = box.seal({ token: 'kube-token' }, 'kubernetes');

  it('open what was sealed under the same context, and nothing altered', () => {
    expect(box.open(sealed, 'kubernetes')).toEqual({ token: 'kube-token' });
    expect(() => box.open(sealed, 'watches')).toThrow(SecretError);
    const flipped = Buffer.from(sealed.data, 'base64');
    flipped[0] ^= 1;
    expect(() => box.open({ ...sealed, data: flipped.toString('base64') }, 'kubernetes')).toThrow(SecretError);
  });

  it('refuse a tag cut short, even when it is the start of the right one', () => {
    // A cut tag is checked only as far as it goes: 4 bytes would leave 2^32 tries to pass an altered row.
    for (const bytes of [4, 8, 12, 15]) {
      const tag = Buffer.from(sealed.tag, 'base64').subarray(0, bytes).toString('base64');
      expect(() => box.open({ ...sealed, tag }, 'kubernetes')).toThrow(SecretError);
    }
  });
});
