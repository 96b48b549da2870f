import React from 'react';
import type { GrafanaTheme2 } from '@grafana/data';
import { Alert, Button, Checkbox, Field, IconButton, Input, Stack, Switch, Text, useStyles2 } from '@grafana/ui';
import { weekdaySchema, type PolicyInput, type Weekday } from '../../../contract/healing';
import { testIds } from '../../testIds';
import { fieldGrid, nestedItem } from '../shared/EditorCard';
import { fieldProblem } from '../../utils/validation';

type AutoWindowsInput = NonNullable<PolicyInput['autoWindows']>;
type WindowInput = AutoWindowsInput['windows'][number];

const ALL_DAYS = weekdaySchema.options;
const dayLabel = (day: Weekday) => day[0].toUpperCase() + day.slice(1);
const NEW_WINDOWS: AutoWindowsInput = {
  timeZone: 'UTC',
  windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00' }],
};

export interface AutoWindowsEditorProps {
  /** Element id for a field of this policy. */
  id: (field: string) => string;
  index: number;
  autoWindows: PolicyInput['autoWindows'];
  error: (path: string) => string | undefined;
  onChange: (autoWindows: PolicyInput['autoWindows']) => void;
}

/**
 * The contract's messages are for an API caller; these say what to do in the form. Keyed by the
 * last part of the error's path.
 */
function plainWords(field: 'timeZone' | 'windows' | 'days' | 'from' | 'to', message: string | undefined) {
  if (!message) {
    return undefined;
  }
  switch (field) {
    case 'timeZone':
      return 'Not a time zone: write an IANA name such as Europe/Berlin or UTC';
    case 'windows':
      return 'Add at least one window, or turn "Only at certain times" off';
    case 'days':
      return 'Pick at least one day';
    default:
      return /differ/.test(message)
        ? 'From and To must differ: that window would be empty'
        : 'Write a time of day as HH:MM, from 00:00 to 23:59';
  }
}

/** When a policy's Automatic gate holds; outside these windows its actions wait for approval. */
export function AutoWindowsEditor({ id, index, autoWindows, error, onChange }: AutoWindowsEditorProps) {
  const styles = useStyles2(getStyles);
  const restricted = autoWindows !== undefined;
  const windows = autoWindows?.windows ?? [];
  const setWindows = (next: WindowInput[]) => onChange({ ...autoWindows, windows: next });
  const setWindow = (at: number, patch: Partial<WindowInput>) =>
    setWindows(windows.map((w, i) => (i === at ? { ...w, ...patch } : w)));
  const toggleDay = (at: number, day: Weekday, on: boolean) => {
    const days = windows[at].days ?? ALL_DAYS;
    // Kept in weekday order so the saved policy reads as a week.
    setWindow(at, { days: ALL_DAYS.filter((d) => (d === day ? on : days.includes(d))) });
  };
  const timeZoneError = plainWords('timeZone', error('autoWindows.timeZone'));
  const windowsError = plainWords('windows', error('autoWindows.windows'));

  return (
    <div data-testid={testIds.healingConfig.autoWindows(index)}>
      <Text element="h5">Automatic hours</Text>
      <Field
        label="Only at certain times"
        description={
          restricted
            ? 'Outside these windows, Automatic actions wait for approval'
            : 'Automatic actions run at any time'
        }
      >
        <Switch
          id={id('auto-windows')}
          value={restricted}
          onChange={(e) => onChange(e.currentTarget.checked ? NEW_WINDOWS : undefined)}
        />
      </Field>
      {restricted && (
        <>
          <div className={styles.grid}>
            <Field label="Time zone" {...fieldProblem(timeZoneError)}>
              <Input
                id={id('time-zone')}
                width={30}
                value={autoWindows.timeZone ?? 'UTC'}
                onChange={(e) => onChange({ ...autoWindows, timeZone: e.currentTarget.value })}
              />
            </Field>
          </div>
          {windowsError && <Alert severity="error" title={windowsError} />}
          {windows.map((w, i) => {
            const at = (field: 'days' | 'from' | 'to') => plainWords(field, error(`autoWindows.windows.${i}.${field}`));
            const days = w.days ?? ALL_DAYS;
            const overnight = !at('from') && !at('to') && w.to < w.from;
            return (
              <section key={i} className={styles.window} aria-label={`Window ${i + 1}`}>
                <Stack alignItems="flex-start" gap={2} wrap="wrap">
                  <Field label="Days" {...fieldProblem(at('days'))}>
                    {/* A fragment: Field hands its invalid flag to its child, which a Stack would write on a div. */}
                    <>
                      <Stack gap={1}>
                        {ALL_DAYS.map((day) => (
                          <Checkbox
                            key={day}
                            label={dayLabel(day)}
                            value={days.includes(day)}
                            onChange={(e) => toggleDay(i, day, e.currentTarget.checked)}
                          />
                        ))}
                      </Stack>
                    </>
                  </Field>
                  <Field label="From" {...fieldProblem(at('from'))}>
                    <Input
                      id={id(`window-${i}-from`)}
                      width={10}
                      placeholder="HH:MM"
                      value={w.from}
                      onChange={(e) => setWindow(i, { from: e.currentTarget.value })}
                    />
                  </Field>
                  <Field
                    label="To"
                    description={overnight ? 'Runs past midnight into the next day' : undefined}
                    {...fieldProblem(at('to'))}
                  >
                    <Input
                      id={id(`window-${i}-to`)}
                      width={10}
                      placeholder="HH:MM"
                      value={w.to}
                      onChange={(e) => setWindow(i, { to: e.currentTarget.value })}
                    />
                  </Field>
                  <IconButton
                    name="trash-alt"
                    tooltip={`Remove window ${i + 1}`}
                    variant="destructive"
                    onClick={() => setWindows(windows.filter((_, j) => j !== i))}
                  />
                </Stack>
              </section>
            );
          })}
          <Button
            variant="secondary"
            size="sm"
            icon="plus"
            onClick={() => setWindows([...windows, { ...NEW_WINDOWS.windows[0] }])}
          >
            Add window
          </Button>
        </>
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  grid: fieldGrid(theme),
  window: nestedItem(theme, 1),
});
