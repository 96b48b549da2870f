import type { Migration } from '../migrate';
import { coreMigration } from './0001_core';
import { pipelineMigration } from './0002_pipeline';
import { healingMigration } from './0003_healing';
import { watchDefinitionsMigration } from './0004_watch_definitions';
import { healingLaddersBreakersMigration } from './0005_healing_ladders_breakers';
import { compactCheckpointsMigration } from './0006_compact_checkpoints';
import { listIndexesMigration } from './0007_list_indexes';
import { episodePeaksMigration } from './0009_episode_peaks';
import { healingListCountsMigration } from './0010_healing_list_counts';
import { targetSummariesMigration } from './0011_target_summaries';
import { anomalyTriggerIdsMigration } from './0012_anomaly_trigger_ids';
import { openActionIndexesMigration } from './0013_open_action_indexes';
import { auditTriggerIndexMigration } from './0014_audit_trigger_index';
import { auditTargetsMigration } from './0015_audit_targets';
import { healingTargetListsMigration } from './0016_healing_target_lists';
import { healingRetentionMigration } from './0017_healing_retention';
import { retrainRequestsMigration } from './0018_retrain_requests';
import { detectionRetentionMigration } from './0019_detection_retention';
import { retrainRequestClaimsMigration } from './0020_retrain_request_claims';
import { targetSummarySortsMigration } from './0021_target_summary_sorts';
import { healingAnnouncementsMigration } from './0022_healing_announcements';
import { retrainRequestRetentionMigration } from './0023_retrain_request_retention';
import { modelListIndexesMigration } from './0024_model_list_indexes';

/**
 * Every schema change, in order. A migration, once released, is never edited: add a new one.
 * Ids are claimed per room: 0001 core, 0002 pipeline, 0003 healing, 0004 pipeline, 0005 healing,
 * 0006 pipeline, 0007 pipeline, 0009 pipeline (0008 is claimed by another change), 0010 healing, 0014 healing, 0015 healing, 0016 healing, 0017 healing, 0018 pipeline, 0019 pipeline, 0020 pipeline, 0021 pipeline, 0022 healing, 0023 pipeline, 0024 pipeline; later ones take the next
 * number.
 */
export const migrations: Migration[] = [
  coreMigration,
  pipelineMigration,
  healingMigration,
  watchDefinitionsMigration,
  healingLaddersBreakersMigration,
  compactCheckpointsMigration,
  listIndexesMigration,
  episodePeaksMigration,
  healingListCountsMigration,
  targetSummariesMigration,
  anomalyTriggerIdsMigration,
  openActionIndexesMigration,
  auditTriggerIndexMigration,
  auditTargetsMigration,
  healingTargetListsMigration,
  healingRetentionMigration,
  retrainRequestsMigration,
  detectionRetentionMigration,
  retrainRequestClaimsMigration,
  targetSummarySortsMigration,
  healingAnnouncementsMigration,
  retrainRequestRetentionMigration,
  modelListIndexesMigration,
];
