import { FeatureWindow, LEVELS, WINDOW } from './featureWindow';

describe('FeatureWindow', () => {
  it('rescale moves the window and the median histogram to the new scale, with the counts around the median', () => {
    const fw = new FeatureWindow();
    const f = new Float64Array(2 * WINDOW);
    const levels = [40, 60, 20, 80, 40, 60, 40, 0, 20, 40];
    levels.forEach((level, k) => fw.features(level / LEVELS, k + 1, f));
    const before = Array.from(fw.medbin);
    const window = Array.from(fw.levels);
    const median = fw.medlevel;
    // x' = x / 2 + 1/4: level L goes to L / 2 + 20 (exact for these even levels).
    fw.rescale(0.5, 0.25);
    const moved = new Array<number>(LEVELS + 1).fill(0);
    before.forEach((count, level) => {
      if (count > 0) {
        moved[level / 2 + 20] += count;
      }
    });
    expect(Array.from(fw.medbin)).toEqual(moved);
    expect(Array.from(fw.levels)).toEqual(window.map((l) => l / 2 + 20));
    expect(fw.medlevel).toBe(median / 2 + 20);
    const sum = (from: number, to: number) => moved.slice(from, to).reduce((a, b) => a + b, 0);
    expect(fw.belowmed).toBe(sum(0, fw.medlevel));
    expect(fw.abovemed).toBe(sum(fw.medlevel + 1, LEVELS + 1));
  });

  it('counts beyond 16 bits a level, as stored and restored', () => {
    const fw = new FeatureWindow();
    const medbin = new Array<number>(LEVELS + 1).fill(0);
    medbin[10] = 0xffff;
    medbin[11] = 0x10000;
    medbin[40] = 0xffffffff;
    medbin[80] = 70_001;
    fw.restore(medbin, [1, 2, 3, 4, 5, 6, 7, 80]);
    expect(Array.from(fw.medbin)).toEqual(medbin);
    expect(Array.from(fw.levels)).toEqual([1, 2, 3, 4, 5, 6, 7, 80]);
    fw.medlevel = 40;
    fw.belowmed = 0xffff + 0x10000;
    fw.abovemed = 70_001;
    // One more at level 11: the median stays, the count below grows past 16 bits of one level.
    fw.features(11 / LEVELS, 2 * 0xffffffff, new Float64Array(2 * WINDOW));
    medbin[11]++;
    expect(Array.from(fw.medbin)).toEqual(medbin);
    expect(fw.medlevel).toBe(40);
    expect(fw.belowmed).toBe(0xffff + 0x10001);
  });
});
