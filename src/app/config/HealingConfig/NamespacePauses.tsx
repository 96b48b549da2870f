import React, { useState } from 'react';
import { Alert, Button, Field, Input, Stack, Text } from '@grafana/ui';
import { Unloaded } from '../../components/QueryStatus/QueryStatus';
import type { NamespacePause } from '../../../contract/healing';
import { namespaceEntrySchema } from '../../../contract/vocabulary';
import { getNamespacePauses, putNamespacePauses } from '../../api/healing';
import { useBackendQuery } from '../../api/useBackendQuery';
import { adminOnlyReason, isAdmin } from '../../permissions';
import { testIds } from '../../testIds';
import { formatTime } from '../../../utils/time';
import { messageOf } from '../../api/fetchFailure';
import { namespaceProblem } from '../../utils/validation';

const ADMIN_ONLY_ID = 'fp-namespace-pauses-admin-only';

/**
 * Namespaces where automatic actions are paused: their `auto` proposals wait for approval. Each
 * change is saved at once (org Admin only, like the kill switch), and audited with the user. Anyone
 * else reads the list and why they cannot change it.
 */
export function NamespacePauses() {
  const admin = isAdmin();
  const query = useBackendQuery(getNamespacePauses, 'namespace-pauses');
  const [current, setCurrent] = useState<NamespacePause[]>();
  const [namespace, setNamespace] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string>();
  const pauses = current ?? query.data?.pauses;

  if (!pauses) {
    return <Unloaded query={query} loading="Reading the namespace pauses…" failed="Cannot read the namespace pauses" />;
  }

  const save = async (next: NamespacePause[]) => {
    setError(undefined);
    try {
      const saved = await putNamespacePauses(next.map((p) => ({ namespace: p.namespace, reason: p.reason })));
      setCurrent(saved.pauses);
      return true;
    } catch (err) {
      setError(messageOf(err));
      return false;
    }
  };
  // As the backend reads it (no spaces, lower case), then held to the name rule it saves pauses with.
  const typed = namespaceEntrySchema.safeParse(namespace);
  const name = typed.success ? typed.data : '';
  const problem = name ? namespaceProblem(name) : undefined;
  const duplicate = pauses.some((p) => p.namespace === name);
  const refusal = problem ?? (duplicate ? 'Already paused' : undefined);
  const onPause = async () => {
    if (await save([...pauses, { namespace: name, reason: reason.trim() || undefined }])) {
      setNamespace('');
      setReason('');
    }
  };

  return (
    <section aria-label="Namespace pauses" data-testid={testIds.healingConfig.namespacePauses}>
      <Text element="h3">Paused namespaces</Text>
      <Text color="secondary">
        Automatic actions in these namespaces wait for approval (maintenance, a migration). People can still approve.
      </Text>
      <ul aria-label="Paused namespaces">
        {pauses.map((p) => (
          <li key={p.namespace}>
            <Stack direction="row" alignItems="center">
              <span>
                <strong>{p.namespace}</strong>
                {p.reason ? `: ${p.reason}` : ''}
                {p.by ? ` (by ${p.by}${p.at ? `, ${formatTime(p.at)}` : ''})` : ''}
              </span>
              <Button
                size="sm"
                variant="secondary"
                icon="play"
                aria-label={`Resume ${p.namespace}`}
                disabled={!admin}
                aria-describedby={admin ? undefined : ADMIN_ONLY_ID}
                onClick={() => save(pauses.filter((x) => x.namespace !== p.namespace))}
              >
                Resume
              </Button>
            </Stack>
          </li>
        ))}
      </ul>
      {pauses.length === 0 && <Text color="secondary">No namespace is paused.</Text>}
      {admin ? (
        <Stack direction="row" alignItems="flex-end" wrap="wrap">
          <Field label="Namespace to pause" invalid={refusal !== undefined} error={refusal}>
            <Input id="fp-pause-namespace" value={namespace} onChange={(e) => setNamespace(e.currentTarget.value)} />
          </Field>
          <Field label="Why paused" description="Recorded in the audit log">
            <Input id="fp-pause-reason" value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
          </Field>
          <Button icon="pause" disabled={!name || refusal !== undefined} onClick={onPause}>
            Pause
          </Button>
        </Stack>
      ) : (
        <Text color="secondary" element="p" id={ADMIN_ONLY_ID}>
          {adminOnlyReason()}
        </Text>
      )}
      {error && (
        <Alert severity="error" title="The namespace pauses were not saved">
          {error}
        </Alert>
      )}
    </section>
  );
}
