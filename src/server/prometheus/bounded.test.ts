import fc from 'fast-check';
import { readBoundedText, ResponseTooLargeError } from './bounded';

/** A response whose body arrives in exactly these chunks. */
function chunked(chunks: Uint8Array[]): Response {
  return new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) {
          controller.enqueue(c);
        }
        controller.close();
      },
    })
  );
}

/** The bytes cut at the given places (sorted, within the bytes). */
function cut(bytes: Uint8Array, at: number[]): Uint8Array[] {
  const points = [0, ...at.map((a) => a % (bytes.length + 1)).sort((a, b) => a - b), bytes.length];
  return points.slice(1).map((end, i) => bytes.subarray(points[i], end));
}

describe('readBoundedText', () => {
  // What the whole body gives Buffer#toString, however the body is cut: characters split across
  // chunks, a byte-order mark, and bytes that are not UTF-8.
  it('reads the text the whole body gives, whatever its chunks', async () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.string({ unit: 'binary', maxLength: 24 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8')))
    );
    await fc.assert(
      fc.asyncProperty(fc.boolean(), bytes, fc.array(fc.nat(), { maxLength: 6 }), async (bom, body, at) => {
        const whole = bom ? new Uint8Array([0xef, 0xbb, 0xbf, ...body]) : body;
        const text = await readBoundedText(chunked(cut(whole, at)), 1024);
        expect(text).toBe(Buffer.from(whole).toString('utf8'));
      }),
      { numRuns: 300 }
    );
  });

  it('keeps a byte-order mark and a character split over chunks', async () => {
    const euro = Buffer.from('\ufeff€ 12', 'utf8');
    const text = await readBoundedText(chunked([euro.subarray(0, 4), euro.subarray(4)]), 1024);
    expect(text).toBe('\ufeff€ 12');
  });

  it('refuses a body past the limit while it is read', async () => {
    const aborted = jest.fn();
    const body = chunked([new Uint8Array(600), new Uint8Array(600)]);
    await expect(readBoundedText(body, 1000, aborted)).rejects.toBeInstanceOf(ResponseTooLargeError);
    expect(aborted).toHaveBeenCalledTimes(1);
  });
});
