import { counted } from './words';

describe('counted', () => {
  it('names one in the singular and any other count in the plural', () => {
    expect(counted(1, 'watch', 'watches')).toBe('1 watch');
    expect(counted(0, 'watch', 'watches')).toBe('0 watches');
    expect(counted(3, 'query', 'queries')).toBe('3 queries');
    expect(counted(2, 'target')).toBe('2 targets');
  });
});
