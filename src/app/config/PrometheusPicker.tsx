import React, { useMemo } from 'react';
import { getDataSourceSrv } from '@grafana/runtime';
import { Select } from '@grafana/ui';

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
  const options = useMemo(
    () =>
      getDataSourceSrv()
        .getList({ type: 'prometheus' })
        .map((ds) => ({ label: ds.name, value: ds.uid })),
    []
  );
  const missing = Boolean(value) && !options.some((o) => o.value === value);
  return (
    // Select, not Combobox: Combobox measures text on a canvas, which jsdom (the unit tests) lacks.
    <Select
      inputId={inputId}
      width={60}
      options={options}
      value={missing ? { label: `${value} (not found)`, value } : value}
      invalid={missing}
      placeholder={options.length ? 'Choose a Prometheus data source' : 'No Prometheus data source in Grafana yet'}
      noOptionsMessage="No Prometheus data source in Grafana"
      onChange={(o) => o.value && onChange(o.value)}
    />
  );
}
