import type { ModelVersion, RetrainResponse } from '../../src/contract/pipeline';
import type { ModelFence } from '../../src/server/pipeline/retrainClaims';
import { coalescedRetraining, type RetrainSelection } from '../../src/server/pipeline/trainingRequests';

// A call for what is being retrained already joins that run. A request's run carries its fence (the
// targets its claims still hold when it stores): a call with another fence, or none, for the same
// targets must not share its answer, or a run would report models stored past a fence not its own
// (or the reverse: a request answered by a run that stored past no fence of its).

/** Each retraining asked, answered when the test says. */
function retrainings() {
  const asked: Array<{ body: RetrainSelection; answer: (r: RetrainResponse) => void }> = [];
  const retrain = coalescedRetraining(
    (body: RetrainSelection, _reason: ModelVersion['reason']) =>
      new Promise<RetrainResponse>((answer) => asked.push({ body, answer }))
  );
  return { asked, retrain };
}

const fence = (): ModelFence => async () => () => true;
const targets = { watch: 'w', targets: ['w{job="a"}', 'w{job="b"}'] };
const answer = (trained: number): RetrainResponse => ({ trained, failed: [] });

describe('coalesced retraining, with fences', () => {
  it('runs a fenced call apart from an unfenced one for the same targets, either way round', async () => {
    const orders: Array<[RetrainSelection, RetrainSelection]> = [
      [{ ...targets }, { ...targets, fence: fence() }],
      [{ ...targets, fence: fence() }, { ...targets }],
    ];
    for (const [first, second] of orders) {
      const { asked, retrain } = retrainings();
      const firstRun = retrain(first, 'on_demand');
      const secondRun = retrain(second, 'on_demand');
      expect(asked.map((a) => a.body.fence)).toEqual([first.fence, second.fence]);
      asked[0].answer(answer(1));
      asked[1].answer(answer(2));
      expect(await firstRun).toEqual(answer(1));
      expect(await secondRun).toEqual(answer(2));
    }
  });

  it('runs calls with different fences apart, and joins a call with the same fence or none alike', async () => {
    const { asked, retrain } = retrainings();
    const one = fence();
    const runs = [
      retrain({ ...targets, fence: one }, 'on_demand'),
      retrain({ ...targets, fence: fence() }, 'on_demand'),
      retrain({ ...targets, fence: one }, 'on_demand'),
      retrain({ ...targets }, 'on_demand'),
      retrain({ ...targets }, 'on_demand'),
    ];
    expect(asked).toHaveLength(3);
    asked.forEach((a, i) => a.answer(answer(i + 1)));
    expect(await Promise.all(runs)).toEqual([answer(1), answer(2), answer(1), answer(3), answer(3)]);
  });
});
