import React from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2, SelectableValue } from '@grafana/data';
import { Button, Field, IconButton, Input, RadioButtonGroup, Text, useStyles2 } from '@grafana/ui';
import { OBJECT_KINDS, type DurationText, type WatchDefinition } from '../../../contract/watches';
import { PRODUCT_DETECTOR_NAMES } from '../../../detection/registry';
import { testIds } from '../../testIds';
import { EditorCard, fieldGrid } from '../shared/EditorCard';
import { fieldProblem, prometheusLabelNameProblem, type FieldErrors } from '../../utils/validation';
import { NumberField } from '../shared/NumberField';
import { TagsField } from '../shared/TagsField';
import type { QueryRow, WatchDraft } from './draft';

export interface WatchEditorProps {
  index: number;
  draft: WatchDraft;
  errors: FieldErrors;
  onChange: (draft: WatchDraft) => void;
  onDelete: () => void;
}

type Limit = NonNullable<WatchDefinition['limits']>[string];
type SourceKind = 'default' | 'prometheus' | 'grafana';

const SOURCE_OPTIONS: Array<SelectableValue<SourceKind>> = [
  { value: 'default', label: "Backend's Prometheus" },
  { value: 'prometheus', label: 'Prometheus URL' },
  { value: 'grafana', label: 'Grafana data source' },
];
const DETECTOR_OPTIONS = PRODUCT_DETECTOR_NAMES.map((d) => ({ value: d, label: d }));
const GUESS = 'guess';
const OBJECT_OPTIONS = [
  { value: GUESS, label: 'Guess from the labels' },
  ...OBJECT_KINDS.map((k) => ({ value: k, label: k })),
];

/** A duration as typed: digits alone are milliseconds (as in the YAML), anything else is text to validate. */
const durationFromInput = (text: string): DurationText | undefined =>
  text.trim() === '' ? undefined : /^\d+$/.test(text.trim()) ? Number(text.trim()) : text.trim();

function limitParts(limit: Limit | undefined): { above?: number; below?: number } {
  return typeof limit === 'number' ? { above: limit } : (limit ?? {});
}

/** One watch: its queries, what makes a target, how often and how far back, where it reads from. */
export function WatchEditor({ index, draft, errors, onChange, onDelete }: WatchEditorProps) {
  const styles = useStyles2(getStyles);
  const { watch, rows, uid } = draft;
  const id = (field: string) => `fp-watch-${uid}-${field}`;
  const title = watch.name || `Watch ${index + 1}`;
  const error = (path: string) => errors[path] || undefined;
  const set = (patch: Partial<WatchDefinition>) => onChange({ ...draft, watch: { ...watch, ...patch } });

  const setRow = (i: number, row: QueryRow) => {
    const old = rows[i].name;
    const next = { ...draft, rows: rows.map((r, j) => (j === i ? row : r)) };
    if (row.name !== old) {
      // Limits and kinds are keyed by signal name: they follow a rename.
      next.watch = {
        ...watch,
        limits: renameKey(watch.limits, old, row.name),
        kinds: renameKey(watch.kinds, old, row.name),
      };
    }
    onChange(next);
  };
  const setLimit = (name: string, part: 'above' | 'below', value?: number) => {
    const limit = { ...limitParts(watch.limits?.[name]), [part]: value };
    const limits = { ...watch.limits };
    if (limit.above === undefined && limit.below === undefined) {
      delete limits[name];
    } else {
      limits[name] = limit.below === undefined ? (limit.above as number) : limit;
    }
    set({ limits: Object.keys(limits).length ? limits : undefined });
  };
  const removeRow = (i: number) => {
    const name = rows[i].name;
    onChange({
      ...draft,
      rows: rows.filter((_, j) => j !== i),
      watch: { ...watch, limits: renameKey(watch.limits, name), kinds: renameKey(watch.kinds, name) },
    });
  };

  const sourceKind: SourceKind = !watch.source ? 'default' : 'grafana' in watch.source ? 'grafana' : 'prometheus';
  const sourceValue = !watch.source ? '' : 'grafana' in watch.source ? watch.source.grafana : watch.source.prometheus;
  const setSource = (kind: SourceKind, value: string) =>
    set({ source: kind === 'default' ? undefined : kind === 'grafana' ? { grafana: value } : { prometheus: value } });

  const duration = (field: 'step' | 'history' | 'lag', label: string, description: string) => (
    <Field label={label} description={description} {...fieldProblem(error(field))}>
      <Input
        id={id(field)}
        width={16}
        value={watch[field] === undefined ? '' : String(watch[field])}
        onChange={(e) => set({ [field]: durationFromInput(e.currentTarget.value) })}
      />
    </Field>
  );

  return (
    <EditorCard
      kind="Watch"
      title={title}
      heading={<Text element="h4">{title}</Text>}
      testId={testIds.watchesConfig.watch(index)}
      index={index}
      onDelete={onDelete}
    >
      <Field
        label="Name"
        description="Letters, digits, _ . -; it appears in target ids and metric labels"
        {...fieldProblem(error('name'))}
        required
      >
        <Input id={id('name')} width={40} value={watch.name} onChange={(e) => set({ name: e.currentTarget.value })} />
      </Field>

      <Text element="h5">Queries</Text>
      <Text color="secondary" element="p">
        One signal per query; several make a multivariate watch. A limit is what the forecaster&apos;s time to failure
        counts down to.
      </Text>
      {errors.queries && (
        <Text color="error" element="p">
          {errors.queries}
        </Text>
      )}
      {rows.map((row, i) => {
        const limit = limitParts(watch.limits?.[row.name]);
        const signal = row.name || `query ${i + 1}`;
        return (
          <div key={i} className={styles.row}>
            <Field label="Signal" {...fieldProblem(error(`rows.${i}.name`))}>
              <Input
                id={id(`q${i}-name`)}
                width={20}
                value={row.name}
                onChange={(e) => setRow(i, { ...row, name: e.currentTarget.value })}
              />
            </Field>
            <Field label="PromQL" className={styles.grow} {...fieldProblem(error(`rows.${i}.query`))}>
              <Input
                id={id(`q${i}-query`)}
                className={styles.code}
                value={row.query}
                onChange={(e) => setRow(i, { ...row, query: e.currentTarget.value })}
              />
            </Field>
            <NumberField
              label="Limit above"
              id={id(`q${i}-above`)}
              width={14}
              error={error(`rows.${i}.limit`)}
              value={limit.above}
              set={(v) => setLimit(row.name, 'above', v)}
            />
            <NumberField
              label="Limit below"
              id={id(`q${i}-below`)}
              width={14}
              value={limit.below}
              set={(v) => setLimit(row.name, 'below', v)}
            />
            <div className={styles.rowButton}>
              <IconButton name="trash-alt" tooltip={`Remove ${signal} from ${title}`} onClick={() => removeRow(i)} />
            </div>
          </div>
        );
      })}
      <Button
        size="sm"
        variant="secondary"
        icon="plus"
        onClick={() => onChange({ ...draft, rows: [...rows, { name: '', query: '' }] })}
        className={styles.addQuery}
        data-testid={testIds.watchesConfig.addQuery(index)}
      >
        Add query
      </Button>

      <Text element="h5">Targets and timing</Text>
      <div className={styles.grid}>
        <TagsField
          label="Target labels"
          description="The labels whose values make one target; none: the whole watch is one target"
          id={id('target')}
          error={error('target')}
          tags={watch.target ?? []}
          set={(target) => set({ target })}
          refuse={prometheusLabelNameProblem}
          placeholder="namespace"
        />
        <TagsField
          label="Peer labels"
          description="Labels shared by replicas of one group: a replica departing from its siblings is flagged"
          id={id('peers')}
          error={error('peers')}
          tags={watch.peers ?? []}
          set={(peers) => set({ peers: peers.length ? peers : undefined })}
          refuse={prometheusLabelNameProblem}
        />
        {duration('step', 'Step', 'How often a target is scored, e.g. 1m (default)')}
        {duration('history', 'History', 'Replayed on first sight and on retraining, e.g. 7d (default)')}
        {duration('lag', 'Lag', 'How far behind now the loop stays, e.g. 30s (default)')}
      </div>

      <Text element="h5">Source and model</Text>
      <div className={styles.row}>
        <Field label="Source">
          <RadioButtonGroup
            id={id('source')}
            options={SOURCE_OPTIONS}
            value={sourceKind}
            onChange={(kind) => setSource(kind, kind === sourceKind ? sourceValue : '')}
          />
        </Field>
        {sourceKind !== 'default' && (
          <Field
            label={sourceKind === 'grafana' ? 'Data source uid' : 'Prometheus URL'}
            {...fieldProblem(error(`source.${sourceKind}`) ?? error('source'))}
          >
            <Input
              id={id('source-value')}
              placeholder={sourceKind === 'grafana' ? 'prometheus' : 'http://prometheus:9090'}
              value={sourceValue}
              onChange={(e) => setSource(sourceKind, e.currentTarget.value)}
            />
          </Field>
        )}
        <Field label="Detector">
          <RadioButtonGroup
            id={id('detector')}
            options={DETECTOR_OPTIONS}
            value={watch.detector ?? 'failureprophet'}
            onChange={(detector) => set({ detector })}
          />
        </Field>
        <NumberField
          label="Threshold"
          description="Score that opens an anomaly; empty: the recommended one"
          id={id('threshold')}
          step={0.01}
          width={14}
          error={error('threshold')}
          value={watch.threshold}
          set={(threshold) => set({ threshold })}
        />
      </div>

      <Text element="h5">Kubernetes object</Text>
      <div className={styles.row}>
        <Field label="Kind" description="What a target is, for the healing actions">
          <RadioButtonGroup
            id={id('object-kind')}
            options={OBJECT_OPTIONS}
            value={watch.object?.kind ?? GUESS}
            onChange={(kind) =>
              set({
                object:
                  kind === GUESS
                    ? undefined
                    : { name: '', ...watch.object, kind: kind as (typeof OBJECT_KINDS)[number] },
              })
            }
          />
        </Field>
        {watch.object && (
          <>
            <Field label="Name label" {...fieldProblem(error('object.name'))}>
              <Input
                id={id('object-name')}
                placeholder="deployment"
                value={watch.object.name}
                onChange={(e) => set({ object: { ...watch.object!, name: e.currentTarget.value } })}
              />
            </Field>
            <Field label="Namespace label" {...fieldProblem(error('object.namespace'))}>
              <Input
                id={id('object-namespace')}
                placeholder="namespace"
                value={watch.object.namespace ?? ''}
                onChange={(e) => set({ object: { ...watch.object!, namespace: e.currentTarget.value || undefined } })}
              />
            </Field>
          </>
        )}
      </div>
    </EditorCard>
  );
}

/** A copy of a per-signal map with `from` renamed to `to` (or removed without `to`). */
function renameKey<T>(map: Record<string, T> | undefined, from: string, to?: string): Record<string, T> | undefined {
  if (!map || !(from in map)) {
    return map;
  }
  const { [from]: value, ...rest } = map;
  // An empty name is a rename in progress (the field was cleared to type a new one), not a removal.
  const next = to === undefined ? rest : { ...rest, [to]: value };
  return Object.keys(next).length ? next : undefined;
}

const getStyles = (theme: GrafanaTheme2) => ({
  row: css({
    display: 'flex',
    columnGap: theme.spacing(2),
    alignItems: 'flex-start',
    flexWrap: 'wrap',
  }),
  grow: css({
    flex: 1,
    minWidth: 280,
  }),
  code: css({
    fontFamily: theme.typography.fontFamilyMonospace,
  }),
  addQuery: css({
    marginBottom: theme.spacing(2),
  }),
  rowButton: css({
    paddingTop: theme.spacing(3),
  }),
  grid: fieldGrid(theme),
});
