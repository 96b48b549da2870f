import {
  alertmanagerWebhookSchema,
  healingTriggerSchema,
  type AlertIntakeResponse,
  type AlertmanagerAlert,
  type AlertmanagerWebhook,
  type HealingTrigger,
  type PlannedAction,
} from '../../contract/healing';
import { nextTurn } from '../../utils/nextTurn';
import { triggerFromAlert, triggerIdOf } from './alerts';
import { closedNote, openedNote, plansFor, proposalOf, skippedNote } from './proposal';
import type { HealingSettings } from './settings';
import { finished, triggerKey } from './store/actionRows';
import type { ActionRepository, ActionToInsert } from './store/repositories';
import type { Storm } from './storm';

/**
 * Alerts written per transaction; between two the event loop has a turn, so `/healthz` and the API
 * answer while a large group is taken in.
 */
export const ALERTS_PER_TRANSACTION = 100;

export interface IntakeDeps {
  actions: ActionRepository;
  settings: HealingSettings;
  storm: Storm;
  now: () => number;
  /** Gates a recorded proposal (a few at a time); resolves when its gate is done. */
  gate: (id: number, type: PlannedAction['type']) => Promise<void>;
}

/** Consecutive alerts of one status, at most ALERTS_PER_TRANSACTION: the payload's order is kept. */
function* runs(alerts: AlertmanagerAlert[]): Generator<AlertmanagerAlert[]> {
  let run: AlertmanagerAlert[] = [];
  for (const alert of alerts) {
    if (run.length === ALERTS_PER_TRANSACTION || (run.length > 0 && run[0].status !== alert.status)) {
      yield run;
      run = [];
    }
    run.push(alert);
  }
  if (run.length > 0) {
    yield run;
  }
}

/**
 * Ends the episode before an alert that resolved and fires again under the same trigger: its finished
 * actions give their place up (archived as `resolved`), so the new episode proposes them again, its
 * notification included (still under the repeat interval and the hourly cap). One still under way,
 * or being verified, keeps its place: the new episode does not propose it twice.
 *
 * Alertmanager and Grafana give an alert that fires again after resolving a new `startsAt`, hence a
 * new trigger (alerts.ts). The same `startsAt` comes back when Alertmanager resolved the alert
 * because its sender stopped repeating it (past its `endsAt`: Prometheus restarting, a partition)
 * and the sender later repeats it: Alertmanager then notifies it as firing anew, since its
 * notification log compares the firing alerts with the last notification's, not their starts.
 */
async function endEpisode(actions: ActionRepository, key: string, at: number): Promise<void> {
  for (const action of await actions.ofTrigger(key)) {
    if (finished(action)) {
      await actions.archiveTriggerKey(action.id, at, 'resolved');
    }
  }
}

/**
 * An Alertmanager or Grafana alerting webhook: firing alerts propose what matching policies say,
 * resolved ones close their trigger. The answer comes once every proposal was recorded and gated
 * (dry-run, then awaiting approval or approved), as for a single trigger.
 *
 * Alertmanager sends a group's alerts in one POST (all of them unless webhook_config's `max_alerts`
 * is set; `truncatedAlerts` counts the rest) and sends the whole group again on a 5xx or when the
 * request outlasts its time: webhook_config's `timeout` where set, else the notification's deadline
 * of max(group_interval, 10s), within which it retries with backoff. So a storm's group must be
 * answered in seconds, and a group sent again must change nothing: each alert is one trigger per
 * firing episode and each proposal one row per trigger, action and target (the store's unique keys),
 * whichever replica receives it.
 *
 * The group is taken in as one moment: every alert is recorded, a few hundred per transaction, then
 * storm mode is judged once on all of them, then the proposals are recorded and gated. Per alert, a
 * transaction and a recount of the alarming targets made 10,000 alerts cost minutes.
 */
export async function receiveAlerts(deps: IntakeDeps, payload: AlertmanagerWebhook): Promise<AlertIntakeResponse> {
  const { actions, settings, storm } = deps;
  const webhook = alertmanagerWebhookSchema.parse(payload);
  const at = deps.now();
  const response: AlertIntakeResponse = { firing: 0, resolved: 0, proposed: [] };
  const [policies, limits] = [(await settings.policies()).policies, (await settings.limits()).limits];
  const proposals: ActionToInsert[] = [];
  let lastFiring: HealingTrigger | undefined;
  let closedAny = false;
  for (const run of runs(webhook.alerts)) {
    if (run[0].status === 'firing') {
      const planned = run.map((alert) => {
        const trigger = healingTriggerSchema.parse(triggerFromAlert(alert, at));
        return { trigger, ...plansFor(trigger, policies, limits) };
      });
      const opened = await actions.openTriggers(
        planned.map(({ trigger, skipped }) => ({
          trigger,
          notes: (opened) => {
            const note = openedNote(trigger, at, opened);
            // Said once per trigger, not at every notification of the group.
            return note ? [note, ...skipped.map((s) => skippedNote(trigger, at, s.policy, s.message))] : [];
          },
        })),
        at
      );
      for (const [i, { trigger }] of planned.entries()) {
        if (opened[i].reopened) {
          // A whole group can reopen at once (its sender was away past the alerts' endsAt): a turn between triggers.
          await endEpisode(actions, triggerKey(trigger), at);
          await nextTurn();
        }
      }
      for (const { trigger, proposals: each } of planned) {
        proposals.push(...each.map(({ policy, plan, how }) => proposalOf(trigger, policy, plan, how, at)));
      }
      response.firing += run.length;
      lastFiring = planned[planned.length - 1].trigger;
    } else {
      const closed = await actions.closeTriggers(
        run.map((alert) => {
          const ref = { source: 'alert' as const, id: triggerIdOf(alert) };
          return { key: triggerKey(ref), note: closedNote(ref, at) };
        }),
        at
      );
      closedAny ||= closed.includes(true);
      response.resolved += run.length;
    }
    await nextTurn();
  }
  // Counted before any is gated: the alerts that start a storm already wait for approval. Ending one sends nothing.
  if (lastFiring || closedAny) {
    await storm.observe(lastFiring);
  }
  const gated: Array<Promise<void>> = [];
  for (let i = 0; i < proposals.length; i += ALERTS_PER_TRANSACTION) {
    const batch = proposals.slice(i, i + ALERTS_PER_TRANSACTION);
    const ids = await actions.insertMany(batch);
    ids.forEach((id, j) => {
      if (id !== undefined) {
        response.proposed.push(id);
        gated.push(deps.gate(id, batch[j].input.action.type));
      }
    });
    await nextTurn();
  }
  await Promise.all(gated);
  return response;
}
