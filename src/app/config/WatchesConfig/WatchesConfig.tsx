import React, { useState } from 'react';
import { type AppPluginMeta, type PluginConfigPageProps } from '@grafana/data';
import { Alert, Button, ConfirmModal, EmptyState, FieldSet, LoadingPlaceholder, Text } from '@grafana/ui';
import type { WatchDefinition, WatchesConfigResponse } from '../../../contract/watches';
import { BackendError } from '../../api/backend';
import { useBackendQuery } from '../../api/useBackendQuery';
import { getWatchesConfig, putWatches, resetWatches } from '../../api/watches';
import { NotConfiguredAlert } from '../../components/NotConfigured/NotConfigured';
import { adminOnlyReason, isAdmin } from '../../permissions';
import type { AppSettings } from '../../pluginSettings';
import { testIds } from '../../testIds';
import { UnsavedChangesModal } from '../../utils/useUnsavedChangesWarning';
import { SaveFooter, type SaveFooterText } from '../shared/SaveFooter';
import { TypedWordsItem, TypedWordsProvider } from '../shared/typedWords';
import { useSaveForm } from '../shared/useSaveForm';
import { useDraftList } from '../shared/useDraftList';
import { fromDraft, toDraft, validateWatches, type WatchDraft } from './draft';
import { WatchEditor } from './WatchEditor';
import { formatTime } from '../../../utils/time';
import { messageOf } from '../../api/fetchFailure';

export interface WatchesConfigProps extends PluginConfigPageProps<AppPluginMeta<AppSettings>> {}

const FOOTER: SaveFooterText = {
  failedTitle: 'The backend refused',
  invalidNoun: ['watch', 'watches'],
  saveLabel: 'Save watches',
};

const NEW_WATCH: WatchDefinition = { name: '', queries: { value: '' }, target: [], step: '1m', history: '7d' };

/** The "Watches" config tab: what the backend watches, saved in its store (it then wins over the YAML file). */
export default function WatchesConfig({ plugin }: WatchesConfigProps) {
  if (!plugin.meta.jsonData?.backendUrl) {
    return <NotConfiguredAlert />;
  }
  return <LoadedWatchesConfig />;
}

function LoadedWatchesConfig() {
  const config = useBackendQuery(getWatchesConfig, 'watches-config');
  if (config.loading && !config.data) {
    return <LoadingPlaceholder text="Loading the watches…" />;
  }
  if (config.error || !config.data) {
    return (
      <Alert severity="error" title="Cannot load the watches">
        {config.error?.message}
      </Alert>
    );
  }
  return (
    <div data-testid={testIds.watchesConfig.container}>
      <WatchesForm initial={config.data} />
    </div>
  );
}

function describeSource(config: WatchesConfigResponse): string {
  switch (config.source) {
    case 'store':
      return `Saved here${config.updatedBy ? ` by ${config.updatedBy}` : ''}${
        config.updatedAt ? ` on ${formatTime(config.updatedAt)}` : ''
      }; these win over the backend's configuration file.`;
    case 'file':
      return "These come from the backend's configuration file (FP_CONFIG) until you save them here.";
    case 'defaults':
      return "These are the backend's default watches (node-exporter, kube-state-metrics, cAdvisor, HTTP) until you save watches here.";
  }
}

/**
 * A refusal in words for this page: a 403 means the user's org role cannot change watches (the role
 * may have changed since the page was loaded, when the save button was enabled).
 */
function failure(err: unknown): string {
  if (err instanceof BackendError && err.status === 403) {
    return 'Only Admins of this organization can change the watches; your role can read them but not save them.';
  }
  return messageOf(err);
}

function WatchesForm({ initial }: { initial: WatchesConfigResponse }) {
  const [current, setCurrent] = useState(initial);
  const drafts = useDraftList<WatchDraft>(() => initial.watches.map(toDraft));
  const [confirmReset, setConfirmReset] = useState(false);
  const admin = isAdmin();

  const watches = drafts.items.map(fromDraft);
  const errors = validateWatches(drafts.items);
  const changed = JSON.stringify(watches) !== JSON.stringify(current.watches);
  const form = useSaveForm<'saving' | 'resetting'>(
    {
      dirty: changed,
      invalidItems: drafts.items.filter((_, i) => Object.keys(errors[i]).length > 0).map((d) => d.uid),
    },
    failure
  );

  /** Takes the backend's answer as the saved watches. */
  const accept = (answer: WatchesConfigResponse) => {
    setCurrent(answer);
    drafts.replace(answer.watches.map(toDraft));
  };
  const onSave = () => {
    // The click's blur has added any typed word, or its field refused it, which counts as invalid.
    if (form.invalidCount > 0 || !admin || !changed) {
      return;
    }
    return form.run('saving', async () => {
      const answer = await putWatches(watches);
      accept(answer);
      return answer.watches.length === 1
        ? 'Saved 1 watch; the backend runs it now.'
        : `Saved ${answer.watches.length} watches; the backend runs them now.`;
    });
  };
  const onReset = () => {
    setConfirmReset(false);
    if (!admin) {
      return;
    }
    return form.run('resetting', async () => {
      const answer = await resetWatches();
      accept(answer);
      return `Back to the ${answer.source === 'file' ? "configuration file's" : 'default'} watches.`;
    });
  };
  const update = (index: number, draft: WatchDraft) => {
    form.clearResult();
    drafts.update(index, draft);
  };

  return (
    <TypedWordsProvider value={form.reportTypedWord}>
      <FieldSet label="Watches">
        <Text color="secondary" element="p">
          A watch is what the backend scores: PromQL queries, the labels that make a target, the step and the history it
          learns from. <span data-testid={testIds.watchesConfig.source}>{describeSource(current)}</span>
        </Text>
        {current.storeError && (
          <Alert severity="warning" title="The saved watches could not be read">
            {current.storeError}. The backend runs the watches shown here instead; saving replaces the unreadable ones.
          </Alert>
        )}
        {drafts.items.length === 0 ? (
          <EmptyState variant="call-to-action" message="No watches: nothing will be scored" />
        ) : (
          drafts.items.map((d, i) => (
            <TypedWordsItem key={d.uid} value={d.uid}>
              <WatchEditor
                index={i}
                draft={d}
                errors={errors[i]}
                onChange={(next) => update(i, next)}
                onDelete={() => drafts.remove(i)}
              />
            </TypedWordsItem>
          ))
        )}
        <Button
          variant="secondary"
          icon="plus"
          onClick={() => drafts.add(toDraft({ ...NEW_WATCH, name: `watch-${drafts.items.length + 1}` }))}
          data-testid={testIds.watchesConfig.addWatch}
        >
          Add watch
        </Button>
      </FieldSet>

      <SaveFooter
        ids={testIds.watchesConfig}
        text={FOOTER}
        form={form}
        onSave={onSave}
        readOnlyReason={admin ? undefined : adminOnlyReason()}
      >
        {current.source === 'store' && (
          <Button
            variant="secondary"
            icon="history"
            disabled={form.busy !== undefined}
            onClick={() => setConfirmReset(true)}
            data-testid={testIds.watchesConfig.reset}
          >
            Reset to the file or default watches
          </Button>
        )}
      </SaveFooter>
      <UnsavedChangesModal />
      <ConfirmModal
        isOpen={confirmReset}
        title="Reset the watches"
        body="The watches saved here are dropped and the backend runs its configuration file's watches (or the defaults) again. Watches whose definition changes start learning afresh."
        confirmText="Reset"
        onConfirm={onReset}
        onDismiss={() => setConfirmReset(false)}
      />
    </TypedWordsProvider>
  );
}
