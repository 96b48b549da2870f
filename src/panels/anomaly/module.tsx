import { PanelPlugin } from '@grafana/data';
import { AnomalyPanel } from './AnomalyPanel';
import type { AnomalyPanelOptions } from './types';

export const plugin = new PanelPlugin<AnomalyPanelOptions>(AnomalyPanel).setPanelOptions((builder) =>
  builder.addBooleanSwitch({
    path: 'showLegend',
    name: 'Legend',
    description: 'Show the series legend below the graph',
    defaultValue: true,
  })
);
