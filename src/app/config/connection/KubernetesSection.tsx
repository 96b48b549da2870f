import React, { type ReactNode } from 'react';
import { Alert, Field, FieldSet, Input, RadioButtonGroup, SecretInput, SecretTextArea } from '@grafana/ui';
import { testIds } from '../../testIds';
import { fieldProblem } from '../../utils/validation';
import type { ConnectionErrors, ConnectionForm } from './connectionForm';

const KUBE_MODES = [
  {
    value: 'in-cluster' as const,
    label: 'In-cluster service account',
    description: 'The backend runs in the cluster it heals',
  },
  { value: 'endpoint' as const, label: 'API endpoint', description: 'An API server URL, a bearer token and its CA' },
];

interface Props {
  form: ConnectionForm;
  errors: ConnectionErrors;
  onChange: (change: Partial<ConnectionForm>) => void;
  /** What the backend uses now (shown above the choice), when it can be asked. */
  inUse?: ReactNode;
}

/** How the backend reaches Kubernetes: its own config, its in-cluster account, or an API endpoint set here. */
export function KubernetesSection({ form, errors, onChange, inUse }: Props) {
  return (
    <FieldSet label="Kubernetes">
      {inUse}
      <Field
        label="How the backend reaches Kubernetes"
        description={
          form.kubeMode
            ? "Saving a change here sends it to the backend, where it wins over the backend's own config."
            : 'Not set in Grafana: the backend uses its own config (above). Choose one to set it from Grafana instead.'
        }
      >
        <RadioButtonGroup
          id="fp-kube-mode"
          options={KUBE_MODES}
          value={form.kubeMode}
          onChange={(kubeMode) => onChange({ kubeMode })}
        />
      </Field>
      {form.kubeMode === 'endpoint' && (
        <>
          <Field label="API server URL" {...fieldProblem(errors.kubeUrl)} required>
            <Input
              width={60}
              id="fp-kube-url"
              data-testid={testIds.appConfig.kubeUrl}
              value={form.kubeUrl}
              placeholder="https://kubernetes.example.com:6443"
              onChange={(e) => onChange({ kubeUrl: e.currentTarget.value.trim() })}
            />
          </Field>
          <Field
            label="Bearer token"
            description="The backend's service account token"
            {...fieldProblem(errors.kubeToken)}
            required
          >
            <SecretInput
              width={60}
              id="fp-kube-token"
              value={form.kubeToken}
              isConfigured={form.isKubeTokenSet}
              onChange={(e) => onChange({ kubeToken: e.currentTarget.value.trim() })}
              onReset={() => onChange({ kubeToken: '', isKubeTokenSet: false })}
            />
          </Field>
          <Field
            label="CA certificate"
            description="PEM; empty to use the system's trusted CAs"
            {...fieldProblem(errors.kubeCa)}
          >
            <SecretTextArea
              id="fp-kube-ca"
              cols={60}
              rows={4}
              value={form.kubeCa}
              isConfigured={form.isKubeCaSet}
              onChange={(e) => onChange({ kubeCa: e.currentTarget.value })}
              onReset={() => onChange({ kubeCa: '', isKubeCaSet: false })}
            />
          </Field>
        </>
      )}
      <Alert severity="info" title="The namespace allow-list">
        Which namespaces the engine may act in is a safety limit: set it on the Healing policies tab.
      </Alert>
    </FieldSet>
  );
}
