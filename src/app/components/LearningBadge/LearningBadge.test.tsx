import React from 'react';
import { render, screen } from '@testing-library/react';
import { setupUser } from '../../testUtils/user';
import { LearningBadge } from './LearningBadge';

const user = setupUser();
const learned = { learning: false, learningProgress: 1, learningSecondsLeft: 0, faultsOnlySecondsLeft: 0 };

describe('LearningBadge', () => {
  it('shows a learning target’s progress and time left, and says what waits for it', async () => {
    render(
      <LearningBadge
        {...learned}
        learning
        learningProgress={0.42}
        learningSecondsLeft={7 * 3600}
        faultsOnlySecondsLeft={50 * 3600}
      />
    );
    const badge = screen.getByText('Learning 42% · about 7 h left');
    await user.hover(badge);
    expect(await screen.findByText(/No anomaly is opened and no time to failure is given/)).toBeInTheDocument();
    expect(screen.queryByText(/Learning shapes/)).toBeNull();
  });

  it('once learned, says for how long only gross faults open anomalies', async () => {
    render(<LearningBadge {...learned} faultsOnlySecondsLeft={30 * 3600} />);
    await user.hover(screen.getByText('Learning shapes · about 30 h left'));
    expect(await screen.findByText(/Gross faults open anomalies already/)).toBeInTheDocument();
  });

  it('shows nothing once the target scores fully', () => {
    const { container } = render(<LearningBadge {...learned} />);
    expect(container).toBeEmptyDOMElement();
  });
});
