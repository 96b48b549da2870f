import React from 'react';
import { render, screen } from '@testing-library/react';
import { formatTime } from '../../../utils/time';
import { WatchWarning } from './WatchWarning';

describe('WatchWarning', () => {
  it("says what the newest answer of the watch's query warns of, and that the watch goes on, as a warning", () => {
    const at = 1_700_000_060_000;
    render(
      <WatchWarning
        watch={{
          name: 'latency',
          warning: { query: 'p99', message: 'partial response: store 10.0.0.7:10901 unavailable', at },
        }}
      />
    );
    const note = screen.getByRole('alert', { name: 'The answers to query p99 of watch latency warn' });
    expect(note).toHaveTextContent('partial response: store 10.0.0.7:10901 unavailable');
    expect(note).toHaveTextContent(
      `Its scores may come from partial data (last warned ${formatTime(at)}); the watch keeps scoring.`
    );
  });

  it('shows nothing for a watch whose answers do not warn (or a backend before warnings were kept)', () => {
    const { container } = render(<WatchWarning watch={{ name: 'latency' }} />);
    expect(container).toBeEmptyDOMElement();
  });
});
