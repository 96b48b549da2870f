import { LoopTurns } from './loopTurns';

describe('LoopTurns', () => {
  it('is due once a slice of its clock is spent, and starts a new slice after the turn', async () => {
    let now = 1_000;
    const turns = new LoopTurns(() => now, 50);
    now += 49;
    expect(turns.due).toBe(false);
    now += 1;
    expect(turns.due).toBe(true);
    let ran = false;
    setImmediate(() => (ran = true));
    await turns.give();
    // What was waiting ran in the turn.
    expect(ran).toBe(true);
    expect(turns.due).toBe(false);
    now += 50;
    expect(turns.due).toBe(true);
  });
});
