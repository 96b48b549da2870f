import React, { useMemo } from 'react';
import { getDataSourceSrv } from '@grafana/runtime';
import { Combobox, type ComboboxOption } from '@grafana/ui';

interface Props {
  /** The input's id, which Field's label points at. */
  inputId: string;
  value?: string;
  onChange: (uid: string) => void;
}

/**
 * Grafana's Prometheus data sources to choose from. Not runtime's DataSourcePicker: with nothing
 * chosen it looks up the default data source on mount and, when that is not a Prometheus one or
 * there is none, shows an error border before anyone touched it. Here only a saved choice that no
 * longer exists is marked.
 */
export function PrometheusPicker({ inputId, value, onChange }: Props) {
  const options = useMemo<ComboboxOption[]>(
    () =>
      getDataSourceSrv()
        .getList({ type: 'prometheus' })
        .map((ds) => ({ label: ds.name, value: ds.uid })),
    []
  );
  // A saved uid Grafana no longer lists is not an option: Combobox shows the option given instead.
  const missing =
    value && !options.some((o) => o.value === value) ? { label: `${value} (not found)`, value } : undefined;
  return (
    <Combobox
      id={inputId}
      width={60}
      options={options}
      value={missing ?? (value || null)}
      invalid={Boolean(missing)}
      placeholder={options.length ? 'Choose a Prometheus data source' : 'No Prometheus data source in Grafana yet'}
      onChange={(o) => onChange(o.value)}
    />
  );
}
