import React, { type ReactNode } from 'react';
import { Icon, Input, Stack, Text } from '@grafana/ui';

interface Props {
  /** The search field's accessible name ("Filter targets"). */
  label: string;
  placeholder: string;
  value: string;
  onChange: (value: string) => void;
  /** How many rows the filters left ("10 of 120 targets"). */
  count: string;
  testId?: string;
  /** More filters, between the search field and the count. */
  children?: ReactNode;
}

/** A list's filter row: a text search, any other filters, and how many rows they left. */
export function ListFilter({ label, placeholder, value, onChange, count, testId, children }: Props) {
  return (
    <Stack gap={2} alignItems="center" wrap="wrap">
      <Input
        aria-label={label}
        placeholder={placeholder}
        prefix={<Icon name="search" />}
        width={50}
        value={value}
        onChange={(e) => onChange(e.currentTarget.value)}
        data-testid={testId}
      />
      {children}
      <Text color="secondary">{count}</Text>
    </Stack>
  );
}
