import React, { useState } from 'react';
import type { AppPluginMeta, PluginConfigPageProps } from '@grafana/data';
import { Alert, Button, EmptyState, FieldSet, LinkButton, LoadingPlaceholder, Stack, Text } from '@grafana/ui';
import { putPoliciesBodySchema, type PolicyInput, type SafetyLimitsInput } from '../../../contract/healing';
import { safetyLimitsWriteSchema } from '../../../contract/healing/settingsWrites';
import { CONFIG_PAGE_URL } from '../../../constants';
import { getLimits, getPolicies, putLimits, putPolicies } from '../../api/healing';
import { messageOf } from '../../api/fetchFailure';
import { useBackendQuery } from '../../api/useBackendQuery';
import { adminOnlyReason, isAdmin } from '../../permissions';
import type { AppSettings } from '../../pluginSettings';
import { testIds } from '../../testIds';
import { UnsavedChangesModal } from '../../utils/useUnsavedChangesWarning';
import { fieldErrors, type FieldErrors } from '../../utils/validation';
import { SaveFooter, type SaveFooterText } from '../shared/SaveFooter';
import { TypedWordsItem, TypedWordsProvider } from '../shared/typedWords';
import { useSaveForm } from '../shared/useSaveForm';
import { useDraftList } from '../shared/useDraftList';
import { KillSwitch } from './KillSwitch';
import { NamespacePauses } from './NamespacePauses';
import { PolicyEditor } from './PolicyEditor';
import { SafetyLimitsEditor } from './SafetyLimitsEditor';

export interface HealingConfigProps extends PluginConfigPageProps<AppPluginMeta<AppSettings>> {}

interface DraftPolicy {
  uid: string;
  policy: PolicyInput;
}

let nextUid = 0;
const draft = (policy: PolicyInput): DraftPolicy => ({ uid: String(++nextUid), policy });

const FOOTER: SaveFooterText = {
  failedTitle: 'Saving failed',
  invalidNoun: ['section', 'sections'],
  saveLabel: 'Save policies and limits',
};

/** The safety limits' key among the form's items; a policy's is its draft's uid. */
const LIMITS_ITEM = 'limits';

const NEW_POLICY: PolicyInput = { name: '', enabled: true, match: {}, action: { type: 'notify' }, gate: 'approve' };

/** The tag fields' paths: the write schemas name an entry by its index, and the field shows its reason once. */
const POLICY_TAG_FIELDS = ['match.severities', 'match.namespaces', 'match.watches'];
const LIMITS_TAG_FIELDS = ['namespaces.allow', 'namespaces.deny'];

function onTagFields(errors: FieldErrors, fields: readonly string[]): FieldErrors {
  const folded: FieldErrors = {};
  for (const [path, message] of Object.entries(errors)) {
    const field = fields.find((f) => path.startsWith(`${f}.`) && /^\d+$/.test(path.slice(f.length + 1)));
    folded[field ?? path] ??= message;
  }
  return folded;
}

/**
 * Per-policy field errors, by the rules the PUT is held to (putPoliciesBodySchema), so a policy an earlier
 * build stored with a name that can never match shows why before Save rather than in the backend's 400.
 * Each policy is checked alone, so one's errors never hide another's; the list's own rules (unique names,
 * a ladder's action types) are said on their fields below.
 */
export function validatePolicies(policies: PolicyInput[]): FieldErrors[] {
  const names = policies.map((p) => p.name.trim());
  return policies.map((policy, i) => {
    const errors = policyWriteErrors(policy);
    if (names[i] && names.indexOf(names[i]) !== i) {
      errors.name ??= `Another policy is already named "${names[i]}"`;
    }
    // A trigger runs an action type on a target once, so a ladder repeats none: say which step repeats which.
    const types = [policy.action.type, ...(policy.steps ?? []).map((s) => s.action.type)];
    types.forEach((type, at) => {
      const first = types.indexOf(type);
      if (at > 0 && first !== at) {
        errors[`steps.${at - 1}.action.type`] ??=
          `Step ${first + 1} already takes this action: each step takes another`;
        delete errors.steps;
      }
    });
    return errors;
  });
}

const POLICY_PATH = /^policies\.0\.(.+)$/;

function policyWriteErrors(policy: PolicyInput): FieldErrors {
  const errors: FieldErrors = {};
  for (const [path, message] of Object.entries(fieldErrors(putPoliciesBodySchema.safeParse({ policies: [policy] })))) {
    const within = POLICY_PATH.exec(path);
    if (within) {
      errors[within[1]] = message;
    }
  }
  return onTagFields(errors, POLICY_TAG_FIELDS);
}

/** The safety limits' field errors, by the rules the PUT is held to (safetyLimitsWriteSchema). */
export const validateLimits = (limits: SafetyLimitsInput): FieldErrors =>
  onTagFields(fieldErrors(safetyLimitsWriteSchema.safeParse(limits)), LIMITS_TAG_FIELDS);

/** The "Healing policies" config tab: kill switch, policies in order, and the safety limits. */
export default function HealingConfig({ plugin }: HealingConfigProps) {
  if (!plugin.meta.jsonData?.backendUrl) {
    return (
      <Alert severity="info" title="Connect the backend first">
        <Stack direction="column" gap={1}>
          <span>
            Policies, safety limits and the kill switch live in the backend. Set its URL and token on the Connection
            tab.
          </span>
          <div>
            <LinkButton href={`${CONFIG_PAGE_URL}?page=connection`} variant="secondary" icon="link">
              Open the Connection tab
            </LinkButton>
          </div>
        </Stack>
      </Alert>
    );
  }
  return <LoadedHealingConfig />;
}

function LoadedHealingConfig() {
  const policies = useBackendQuery(getPolicies, 'policies');
  const limits = useBackendQuery(getLimits, 'limits');
  if ((policies.loading && !policies.data) || (limits.loading && !limits.data)) {
    return <LoadingPlaceholder text="Loading the healing policies…" />;
  }
  const error = policies.error ?? limits.error;
  if (error || !policies.data || !limits.data) {
    return (
      <Alert severity="error" title="Cannot load the healing policies">
        {error?.message}
      </Alert>
    );
  }
  return (
    <div data-testid={testIds.healingConfig.container}>
      <KillSwitch />
      <NamespacePauses />
      <PoliciesForm
        initialPolicies={policies.data.policies}
        initialLimits={limits.data.limits}
        source={policies.data.source}
      />
    </div>
  );
}

interface PoliciesFormProps {
  initialPolicies: PolicyInput[];
  initialLimits: SafetyLimitsInput;
  source: 'default' | 'config' | 'store';
}

function PoliciesForm({ initialPolicies, initialLimits, source }: PoliciesFormProps) {
  const [saved, setSaved] = useState({ policies: initialPolicies, limits: initialLimits });
  const drafts = useDraftList<DraftPolicy>(() => initialPolicies.map(draft));
  const [limits, setLimits] = useState<SafetyLimitsInput>(initialLimits);
  const [currentSource, setCurrentSource] = useState(source);

  const policies = drafts.items.map((d) => d.policy);
  const policyErrors = validatePolicies(policies);
  const limitErrors = validateLimits(limits);
  const invalidItems = [
    ...drafts.items.filter((_, i) => Object.keys(policyErrors[i]).length > 0).map((d) => d.uid),
    ...(Object.keys(limitErrors).length > 0 ? [LIMITS_ITEM] : []),
  ];
  const policiesDirty = JSON.stringify(policies) !== JSON.stringify(saved.policies);
  const limitsDirty = JSON.stringify(limits) !== JSON.stringify(saved.limits);
  const form = useSaveForm({ dirty: policiesDirty || limitsDirty, invalidItems });
  const admin = isAdmin();

  const update = (index: number, policy: PolicyInput) => {
    form.clearResult();
    drafts.update(index, { ...drafts.items[index], policy });
  };
  const onLimits = (next: SafetyLimitsInput) => {
    form.clearResult();
    setLimits(next);
  };

  const onSave = async () => {
    // The click's blur has added any typed word, or its field refused it, which counts as invalid.
    if (form.invalidCount > 0 || !admin || !(policiesDirty || limitsDirty)) {
      return;
    }
    // Two requests: each answer is kept as soon as it comes, and a failure says which part it was, so
    // limits refused after the policies were saved do not leave the policies shown as unsaved (or as
    // still coming from the file).
    await form.run('saving', async () => {
      let savedPolicies = saved.policies;
      if (policiesDirty) {
        try {
          savedPolicies = (await putPolicies(policies)).policies;
        } catch (err) {
          throw new Error(
            `The policies were not saved${limitsDirty ? ', nor the safety limits' : ''}: ${messageOf(err)}`
          );
        }
        setSaved((s) => ({ ...s, policies: savedPolicies }));
        drafts.replace(savedPolicies.map(draft));
        setCurrentSource('store');
      }
      if (limitsDirty) {
        let savedLimits: SafetyLimitsInput;
        try {
          savedLimits = (await putLimits(limits)).limits;
        } catch (err) {
          throw new Error(
            `${policiesDirty ? 'The policies were saved, but the safety limits were not' : 'The safety limits were not saved'}: ${messageOf(err)}`
          );
        }
        setSaved((s) => ({ ...s, limits: savedLimits }));
        setLimits(savedLimits);
      }
      const policiesSaved = `${savedPolicies.length} ${savedPolicies.length === 1 ? 'policy' : 'policies'}`;
      return policiesDirty && limitsDirty
        ? `Saved ${policiesSaved} and the safety limits.`
        : policiesDirty
          ? `Saved ${policiesSaved}.`
          : 'Saved the safety limits.';
    });
  };

  return (
    <TypedWordsProvider value={form.reportTypedWord}>
      <FieldSet label="Policies">
        <Text color="secondary" element="p">
          The first enabled policy that matches a trigger decides its action.{' '}
          {currentSource === 'store'
            ? ''
            : `These come from the backend's ${currentSource === 'config' ? 'configuration file' : 'defaults'} until you save them here.`}
        </Text>
        {drafts.items.length === 0 ? (
          <EmptyState variant="call-to-action" message="No policies: nothing will be proposed" />
        ) : (
          drafts.items.map((d, i) => (
            <TypedWordsItem key={d.uid} value={d.uid}>
              <PolicyEditor
                uid={d.uid}
                index={i}
                count={drafts.items.length}
                policy={d.policy}
                errors={policyErrors[i]}
                onChange={(p) => update(i, p)}
                onMove={(by) => drafts.move(i, by)}
                onDelete={() => drafts.remove(i)}
              />
            </TypedWordsItem>
          ))
        )}
        <Button
          variant="secondary"
          icon="plus"
          onClick={() => drafts.add(draft({ ...NEW_POLICY, name: `policy-${drafts.items.length + 1}` }))}
          data-testid={testIds.healingConfig.addPolicy}
        >
          Add policy
        </Button>
      </FieldSet>

      <TypedWordsItem value={LIMITS_ITEM}>
        <SafetyLimitsEditor limits={limits} errors={limitErrors} onChange={onLimits} />
      </TypedWordsItem>

      <SaveFooter
        ids={testIds.healingConfig}
        text={FOOTER}
        form={form}
        onSave={onSave}
        readOnlyReason={admin ? undefined : adminOnlyReason()}
      />
      <UnsavedChangesModal />
    </TypedWordsProvider>
  );
}
