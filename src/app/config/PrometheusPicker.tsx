import React, { useMemo } from 'react';
import { getDataSourceSrv } from '@grafana/runtime';
import { Combobox } from '@grafana/ui';

interface Props {
  value?: string;
  onChange: (uid: string) => void;
}

/**
 * Grafana's Prometheus data sources to choose from. Not runtime's DataSourcePicker: with nothing
 * chosen it looks up the default data source on mount and, when that is not a Prometheus one or
 * there is none, shows an error border before anyone touched it. Here only a saved choice that no
 * longer exists is marked.
 */
export function PrometheusPicker({ value, onChange }: Props) {
  const options = useMemo(
    () =>
      getDataSourceSrv()
        .getList({ type: 'prometheus' })
        .map((ds) => ({ label: ds.name, value: ds.uid })),
    []
  );
  const missing = Boolean(value) && !options.some((o) => o.value === value);
  return (
    <Combobox
      id="fp-prometheus-datasource"
      width={60}
      options={missing ? [...options, { label: `${value} (not found)`, value: value! }] : options}
      value={value ?? null}
      invalid={missing}
      placeholder={options.length ? 'Choose a Prometheus data source' : 'No Prometheus data source in Grafana yet'}
      onChange={(o) => onChange(o.value)}
    />
  );
}
