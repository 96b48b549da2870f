import React, { useState, type FormEvent } from 'react';
import { css } from '@emotion/css';
import type { AppPluginMeta, GrafanaTheme2, PluginConfigPageProps } from '@grafana/data';
import { Alert, Button, Field, FieldSet, useStyles2 } from '@grafana/ui';
import { getKubernetes } from '../api/kubernetes';
import { useBackendQuery } from '../api/useBackendQuery';
import type { AppSettings } from '../pluginSettings';
import { testIds } from '../testIds';
import { UnsavedChangesModal } from '../utils/useUnsavedChangesWarning';
import { ConnectionTests } from './ConnectionTests';
import { PrometheusPicker } from './PrometheusPicker';
import { BackendSection } from './connection/BackendSection';
import {
  connectionErrors,
  hasErrors,
  initialConnectionForm,
  kubeChanged,
  type ConnectionForm,
} from './connection/connectionForm';
import { KubernetesInUse } from './connection/KubernetesInUse';
import { KubernetesSection } from './connection/KubernetesSection';
import { useAppConfigSave } from './connection/useAppConfigSave';

export { validateBackendUrl } from './connection/connectionForm';

export interface AppConfigProps extends PluginConfigPageProps<AppPluginMeta<AppSettings>> {}

/** The connection tab: the backend, Prometheus and Kubernetes, with tests of what was saved. */
const AppConfig = ({ plugin }: AppConfigProps) => {
  const styles = useStyles2(getStyles);
  const { jsonData, secureJsonFields } = plugin.meta;
  const initial = initialConnectionForm(jsonData, secureJsonFields);
  const [form, setForm] = useState<ConnectionForm>(initial);
  const [touched, setTouched] = useState(false);
  const backendConfigured = Boolean(jsonData?.backendUrl && secureJsonFields?.backendToken);
  const backendKube = useBackendQuery(getKubernetes, 'kubernetes', { enabled: backendConfigured });
  const { dirty, save, saving, saveError, kubeError, setKubeError } = useAppConfigSave(
    plugin.meta,
    initial,
    form,
    backendKube.reload
  );
  const errors = connectionErrors(form);
  const invalid = hasErrors(errors);
  const change = (patch: Partial<ConnectionForm>) => setForm((f) => ({ ...f, ...patch }));

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (!invalid) {
      save();
    }
  };

  return (
    <>
      {/* Outside the form: the modal's own form would submit this one too (React events cross portals). */}
      <UnsavedChangesModal />
      <form onSubmit={onSubmit} data-testid={testIds.appConfig.container} noValidate>
        <BackendSection
          form={form}
          errors={errors}
          touched={touched}
          onChange={(patch) => {
            setTouched(true);
            change(patch);
          }}
        />
        <FieldSet label="Prometheus">
          <Field
            label="Prometheus data source"
            description="The Grafana data source with the metrics the backend watches (used for Explore links and the connection test)."
          >
            <PrometheusPicker
              inputId="fp-prometheus-datasource"
              value={form.prometheusDatasourceUid}
              onChange={(uid) => change({ prometheusDatasourceUid: uid })}
            />
          </Field>
        </FieldSet>
        <KubernetesSection
          form={form}
          errors={errors}
          onChange={change}
          inUse={
            backendConfigured && (
              <KubernetesInUse
                backendKube={backendKube}
                saved={jsonData?.kubernetes}
                editing={kubeChanged(form, initial)}
                onError={setKubeError}
              />
            )
          }
        />
        <FieldSet label="Test the connection">
          <ConnectionTests datasourceUid={jsonData?.prometheusDatasourceUid} dirty={dirty} />
        </FieldSet>
        <FieldSet>
          {saveError && (
            <Alert title="Saving failed" severity="error" data-testid={testIds.appConfig.saveError}>
              {saveError}
            </Alert>
          )}
          {kubeError && (
            <Alert
              title="The backend did not take the Kubernetes settings"
              severity="error"
              data-testid={testIds.kubernetesAccess.error}
            >
              {kubeError}
            </Alert>
          )}
          <div className={styles.actions}>
            <Button
              type="submit"
              data-testid={testIds.appConfig.submit}
              disabled={saving || ((touched || dirty) && invalid)}
            >
              {saving ? 'Saving…' : 'Save connection'}
            </Button>
            {dirty && (
              <span className={styles.unsaved} data-testid={testIds.appConfig.unsaved}>
                You have unsaved changes
              </span>
            )}
          </div>
        </FieldSet>
      </form>
    </>
  );
};

export default AppConfig;

const getStyles = (theme: GrafanaTheme2) => ({
  actions: css({
    marginTop: theme.spacing(3),
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(2),
  }),
  unsaved: css({
    color: theme.colors.warning.text,
  }),
});
