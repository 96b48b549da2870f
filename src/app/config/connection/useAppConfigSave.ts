import { useEffect, useState } from 'react';
import type { AppPluginMeta } from '@grafana/data';
import { reloadPage } from '../../../utils/reloadPage';
import { savePluginSettings } from '../../api/grafana';
import { putKubernetes } from '../../api/kubernetes';
import type { AppSettings } from '../../pluginSettings';
import { useUnsavedChangesWarning } from '../../utils/useUnsavedChangesWarning';
import { kubeChanged, kubernetesBody, secretsToSave, type ConnectionForm } from './connectionForm';
import { messageOf } from '../../api/fetchFailure';

/**
 * Saving the connection page: the settings go to Grafana first, then (only when changed here) the
 * Kubernetes settings to the backend, then the page reloads so Grafana's proxy uses what was saved.
 * A refusal at either step keeps the form as typed and says which step refused.
 */
export function useAppConfigSave(
  meta: AppPluginMeta<AppSettings>,
  initial: ConnectionForm,
  form: ConnectionForm,
  /** Asks the backend again which Kubernetes it uses (after it refused new settings). */
  reloadBackendKube: () => void
) {
  const dirty = JSON.stringify(form) !== JSON.stringify(initial);
  const [saved, setSaved] = useState(false);
  useUnsavedChangesWarning(dirty && !saved);
  // Reloads only once the warning is gone (its cleanup runs before this effect), so a save does not
  // ask "leave the page?" about the changes it just saved.
  useEffect(() => {
    if (saved) {
      reloadPage();
    }
  }, [saved]);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string>();
  const [kubeError, setKubeError] = useState<string>();

  const save = async () => {
    setSaving(true);
    setSaveError(undefined);
    setKubeError(undefined);
    const kubernetes = form.kubeMode ? kubernetesBody({ mode: form.kubeMode, url: form.kubeUrl }) : undefined;
    try {
      await savePluginSettings({
        enabled: meta.enabled,
        pinned: meta.pinned,
        jsonData: {
          ...meta.jsonData,
          backendUrl: form.backendUrl,
          prometheusDatasourceUid: form.prometheusDatasourceUid,
          kubernetes,
        },
        secureJsonData: secretsToSave(form, initial),
      });
    } catch (err) {
      setSaveError(messageOf(err));
      setSaving(false);
      return;
    }
    // Only a change made here is pushed: an untouched page must not override the backend's own config.
    if (kubeChanged(form, initial) && kubernetes) {
      try {
        await putKubernetes(kubernetes);
      } catch (err) {
        setKubeError(
          `Grafana saved them, but the backend refused them or could not be reached, so it keeps using what it used before: ${messageOf(err)}`
        );
        reloadBackendKube();
        setSaving(false);
        return;
      }
    }
    setSaved(true);
  };

  return { dirty, save, saving, saveError, kubeError, setKubeError };
}
