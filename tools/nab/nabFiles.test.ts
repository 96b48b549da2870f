import { jsonObjectOption, parseArgs } from './nabFiles';

describe("the NAB tools' arguments", () => {
  const spec = { detector: 'string', options: 'string', 'published-minmax': 'boolean' } as const;

  it('reads values in both forms and flags as empty', () => {
    const args = parseArgs(['--detector', 'artime', '--options={"a":1}', '--published-minmax'], spec);
    expect([...args]).toEqual([
      ['detector', 'artime'],
      ['options', '{"a":1}'],
      ['published-minmax', ''],
    ]);
  });

  it('refuses an option the tool does not know instead of running without it', () => {
    expect(() => parseArgs(['--detector', 'artime', '--optoins', '{}'], spec)).toThrow(/--optoins/);
    expect(() => parseArgs(['artime'], spec)).toThrow(/artime/);
  });

  it('refuses a value option given no value, and a value given to a flag', () => {
    expect(() => parseArgs(['--detector'], spec)).toThrow(/--detector/);
    expect(() => parseArgs(['--published-minmax=yes'], spec)).toThrow(/published-minmax/);
  });

  it("takes a detector's options as a JSON object only", () => {
    expect(jsonObjectOption(undefined, '--options')).toEqual({});
    expect(jsonObjectOption('{"maxCategories":128}', '--options')).toEqual({ maxCategories: 128 });
    expect(() => jsonObjectOption('[1]', '--options')).toThrow('--options must be a JSON object, got [1]');
  });
});
