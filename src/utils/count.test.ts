import { counted, countOf } from './count';

describe('countOf', () => {
  it('counts in the singular for one and says what a filter left', () => {
    expect(countOf(1, 1, 'model')).toBe('1 model');
    expect(countOf(0, 0, 'model')).toBe('0 models');
    expect(countOf(120, 120, 'target')).toBe('120 targets');
    expect(countOf(0, 1, 'target')).toBe('0 of 1 target');
    expect(countOf(10, 120, 'target')).toBe('10 of 120 targets');
  });
});

describe('counted', () => {
  it('names one in the singular and any other count in the plural', () => {
    expect(counted(1, 'watch', 'watches')).toBe('1 watch');
    expect(counted(0, 'watch', 'watches')).toBe('0 watches');
    expect(counted(3, 'query', 'queries')).toBe('3 queries');
    expect(counted(2, 'target')).toBe('2 targets');
  });
});
