import React from 'react';
import { useParams } from 'react-router-dom';
import { css } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { Alert, Badge, LinkButton, Stack, Text, useStyles2 } from '@grafana/ui';
import { noForecastText, type Target } from '../../../contract/pipeline';
import { getTarget, listWatches } from '../../api/pipeline';
import { useBackendQuery } from '../../api/useBackendQuery';
import { BackendPage } from '../../components/BackendPage/BackendPage';
import { LearningBadge } from '../../components/LearningBadge/LearningBadge';
import { Unloaded } from '../../components/QueryStatus/QueryStatus';
import { WatchWarning } from '../../components/WatchWarning/WatchWarning';
import { usePluginSettings } from '../../pluginSettings';
import { PLUGIN_BASE_URL, ROUTES } from '../../../constants';
import { testIds } from '../../testIds';
import { exploreUrl } from '../../utils/explore';
import { AnomalyList } from '../Overview/AnomalyList';
import { COUNTDOWN_MS, useNow } from '../Overview/useNow';
import { SEVERITY_COLOR, timeToFailureWords } from '../Overview/format';
import { BandChart } from './BandChart';
import { TargetActions } from './TargetActions';
import { formatTime } from '../../../utils/time';

export function TargetDetail() {
  return (
    <BackendPage testId={testIds.targetDetail.container}>
      <LoadedTarget />
    </BackendPage>
  );
}

function LoadedTarget() {
  const styles = useStyles2(getStyles);
  // Already decoded by the router: decoding again would misread a label value's "%7B" or "50%".
  const id = useParams<{ id: string }>().id ?? '';
  const { prometheusDatasourceUid } = usePluginSettings();
  const detail = useBackendQuery(() => getTarget(id), `target-${id}`, { refreshMs: 15_000 });
  // Its watch's status: its queries (Explore) and what its answers warn of.
  const watches = useBackendQuery(listWatches, 'watches');
  const now = useNow(COUNTDOWN_MS);

  if (!detail.data && detail.error?.status === 404) {
    return <NotWatched id={id} />;
  }
  if (!detail.data) {
    return <Unloaded query={detail} loading="Loading the target…" failed={`Cannot load target ${id}`} />;
  }
  const { target, series, anomalies, predictions, model } = detail.data;
  const steps = Object.values(series).flat();
  const range = steps.length
    ? { from: Math.min(...steps.map((p) => p.t)), to: Math.max(...steps.map((p) => p.t)) }
    : undefined;
  const watch = watches.data?.watches.find((w) => w.name === target.watch);
  const trained = model ? ` · model v${model.version} trained ${formatTime(model.trainedAt)}` : undefined;
  // Only a scored target has a band to draw (a target no runner scores has no recent steps).
  const threshold = detail.data.scored === false ? undefined : detail.data.target.threshold;

  return (
    <Stack direction="column" gap={3}>
      <div>
        <Text element="h2">{target.id}</Text>
        {detail.data.scored === false ? (
          <Alert
            severity="info"
            title="Not scored now: this is what it recorded"
            data-testid={testIds.targetDetail.unscored}
          >
            <Text>{detail.data.target.message}.</Text>{' '}
            <Text color="secondary">
              {detail.data.target.lastSeenAt !== null && `Last seen ${formatTime(detail.data.target.lastSeenAt)}`}
              {trained}
            </Text>
          </Alert>
        ) : (
          <Stack gap={1} wrap="wrap" alignItems="center">
            {detail.data.target.severity && (
              <Badge color={SEVERITY_COLOR[detail.data.target.severity]} text={detail.data.target.severity} />
            )}
            {detail.data.target.failureModel && (
              <Badge color="purple" text={detail.data.target.failureModel.replace('_', ' ')} />
            )}
            <LearningBadge {...detail.data.target} />
            <ScoredSummary target={detail.data.target} trained={trained} nowMs={now} />
          </Stack>
        )}
        {watch && <WatchWarning watch={watch} />}
        <Stack gap={1}>
          {prometheusDatasourceUid && watch && range && (
            <LinkButton
              variant="secondary"
              icon="compass"
              href={exploreUrl(prometheusDatasourceUid, Object.values(watch.queries), range.from, range.to)}
              data-testid={testIds.targetDetail.explore}
            >
              Open in Explore
            </LinkButton>
          )}
          <LinkButton
            variant="secondary"
            icon="history"
            href={`${PLUGIN_BASE_URL}/${ROUTES.Audit}?${new URLSearchParams({ target: target.id })}`}
            data-testid={testIds.targetDetail.audit}
          >
            Audit log
          </LinkButton>
        </Stack>
      </div>
      {threshold !== undefined && (
        <section aria-label="Signals">
          {Object.entries(series).map(([name, points]) => (
            <div key={name} className={styles.signal}>
              <Text element="h3">{name}</Text>
              <BandChart name={name} points={points} threshold={threshold} />
            </div>
          ))}
        </section>
      )}
      <section aria-label="Anomalies">
        <Text element="h3">Anomalies</Text>
        {anomalies.length ? <AnomalyList anomalies={anomalies} /> : <Text color="secondary">None recorded.</Text>}
      </section>
      <TargetActions targetId={target.id} />
      {predictions.length > 0 && (
        <section aria-label="Predictions">
          <Text element="h3">Failure predictions</Text>
          <Text color="secondary">Recorded when a forecast starts, when its crossing moves, and when it ends.</Text>
          <ul>
            {predictions.slice(0, 10).map((p) => (
              <li key={p.id}>
                {formatTime(p.madeAt)}: {p.signal} {p.direction} {p.limit}{' '}
                {p.seconds === 0 ? '(crossed)' : `at ${formatTime(p.predictedFailureAt)}`}
              </li>
            ))}
          </ul>
        </section>
      )}
    </Stack>
  );
}

/** A scored target's score, threshold, time to failure (counted from `nowMs`), object and model, in one line. */
export function ScoredSummary({ target, trained, nowMs }: { target: Target; trained?: string; nowMs: number }) {
  return (
    <Text color="secondary">
      score {target.score.toFixed(2)} (threshold {target.threshold.toFixed(2)})
      {` · ${timeToFailureText(target, nowMs)}`}
      {target.object &&
        ` · ${target.object.kind} ${target.object.namespace ? `${target.object.namespace}/` : ''}${target.object.name}`}
      {trained}
    </Text>
  );
}

/** "memory reaches 0.95 in 3 h (2026-12-04 17:02:18 UTC)", "memory already above 0.95", or why there is none. */
function timeToFailureText(target: Target, nowMs: number): string {
  const ttf = target.timeToFailure;
  if (!ttf) {
    const why = noForecastText(target);
    return `no time to failure${why ? `: ${why}` : ''}`;
  }
  const words = timeToFailureWords(ttf, nowMs);
  const when = ttf.seconds === 0 ? words.left : `reaches ${ttf.limit} ${words.left} (${words.at})`;
  return `${ttf.signal} ${when}${words.asOf ? `, as of ${words.asOf}` : ''}`;
}

/**
 * A target of which the backend keeps nothing: no watch scores it and no anomaly, prediction or model
 * of it is stored (a target no longer scored but with a history shows that history instead).
 */
function NotWatched({ id }: { id: string }) {
  return (
    <Alert severity="info" title={`${id} is not watched right now`}>
      <Stack direction="column" alignItems="flex-start">
        <Text>
          No watch scores this target and the backend keeps nothing of it: no anomaly, prediction or model. The link may
          name it otherwise than its watch does, or come from another backend.
        </Text>
        <LinkButton variant="secondary" href={`${PLUGIN_BASE_URL}/${ROUTES.Overview}`}>
          Overview
        </LinkButton>
      </Stack>
    </Alert>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  signal: css({
    padding: theme.spacing(1, 0),
    borderBottom: `1px solid ${theme.colors.border.weak}`,
  }),
});
