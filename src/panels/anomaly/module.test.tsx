import {
  FieldConfigProperty,
  PanelOptionsEditorBuilder,
  standardEditorsRegistry,
  standardFieldConfigEditorRegistry,
  type FieldConfigPropertyItem,
  type PanelOptionsEditorItem,
} from '@grafana/data';
import { PRODUCT_DETECTOR_NAMES } from '../../detection';
import { plugin } from './module';
import type { AnomalyPanelOptions } from './types';

// Grafana fills both editor registries at start-up; the builders only need the ids here.
standardEditorsRegistry.setInit(() =>
  ['slider', 'select', 'radio', 'boolean', 'number', 'text'].map((id) => ({ id, name: id, editor: () => null }))
);
standardFieldConfigEditorRegistry.setInit(() =>
  Object.values(FieldConfigProperty).map(
    (id) =>
      ({
        id,
        path: id,
        name: id,
        editor: () => null,
        override: () => null,
        process: (value: unknown) => value,
        shouldApply: () => true,
      }) as FieldConfigPropertyItem
  )
);

/** The panel's option editors, as the panel editor builds them. */
function optionItems(): Array<PanelOptionsEditorItem<AnomalyPanelOptions>> {
  const builder = new PanelOptionsEditorBuilder<AnomalyPanelOptions>();
  plugin.getPanelOptionsSupplier()(builder, { data: [] });
  return builder.getItems();
}

const item = (path: string) => {
  const found = optionItems().find((i) => i.path === path);
  if (!found) {
    throw new Error(`no option ${path}`);
  }
  return found;
};

const options = (overrides: Partial<AnomalyPanelOptions>): AnomalyPanelOptions => ({
  ...(plugin.defaults as AnomalyPanelOptions),
  ...overrides,
});

describe('anomaly panel options', () => {
  it('starts a new panel on the recommended detector, auto source, every layer on and the legend shown', () => {
    expect(plugin.defaults).toEqual({
      sensitivity: 50,
      detector: 'failureprophet',
      source: 'auto',
      layers: { band: true, score: true, anomalies: true, forecast: true },
      forecastDirection: 'above',
      showLegend: true,
    });
  });

  it('offers every product detector, each described', () => {
    const choices = item('detector').settings.options as Array<{ value: string; description?: string }>;
    expect(choices.map((o) => o.value)).toEqual([...PRODUCT_DETECTOR_NAMES]);
    for (const choice of choices) {
      expect(choice.description).toEqual(expect.any(String));
    }
  });

  it('asks for the backend signal only when the backend may score', () => {
    const showIf = item('backendSignal').showIf!;
    expect(showIf(options({ source: 'browser' }), undefined)).toBe(false);
    expect(showIf(options({ source: 'auto' }), undefined)).toBe(true);
    expect(showIf(options({ source: 'backend' }), undefined)).toBe(true);
  });

  it('asks for the forecast limit and direction only while the forecast layer is on', () => {
    for (const path of ['forecastLimit', 'forecastDirection']) {
      const showIf = item(path).showIf!;
      const layers = plugin.defaults as AnomalyPanelOptions;
      expect(showIf(options({ layers: { ...layers.layers, forecast: false } }), undefined)).toBe(false);
      expect(showIf(options({}), undefined)).toBe(true);
    }
  });

  it('leaves out thresholds and value mappings, which would fight the band, but keeps the unit', () => {
    const registry = plugin.fieldConfigRegistry;
    expect(registry.getIfExists(FieldConfigProperty.Thresholds)).toBeUndefined();
    expect(registry.getIfExists(FieldConfigProperty.Mappings)).toBeUndefined();
    expect(registry.getIfExists(FieldConfigProperty.Unit)).toBeDefined();
  });
});
