import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { messageOf } from '../../../utils/messageOf';
import { loadSecretBox, SECRET_KEY_FILE, sealedSchema, type Sealed, type SecretBox } from '../secrets';

/**
 * What the replicas need to open the sealed values the copy carried (as stored: the copy never
 * opens them to write them): for each setting holding one, which key opens it, FP_SECRET_KEY as
 * set here or the key file in the source's data dir. Never the key itself.
 */
export function sealedSettingsNotes(
  settings: Array<{ key: string; value: string }>,
  dataDir: string,
  env: NodeJS.ProcessEnv
): string[] {
  const sealedByKey = settings
    .map(({ key, value }) => ({ key, sealed: sealedIn(JSON.parse(value)) }))
    .filter((s) => s.sealed.length > 0);
  if (sealedByKey.length === 0) {
    return [];
  }
  const boxes: SecretBox[] = [];
  const notes: string[] = [];
  const keyFile = join(dataDir, SECRET_KEY_FILE);
  for (const [present, load] of [
    [Boolean(env.FP_SECRET_KEY?.trim()), () => loadSecretBox(dataDir, env)],
    // Without FP_SECRET_KEY, and only when the file is there: loading never generates one here.
    [existsSync(keyFile), () => loadSecretBox(dataDir, {})],
  ] as const) {
    if (present) {
      try {
        boxes.push(load());
      } catch (err) {
        notes.push(messageOf(err));
      }
    }
  }
  for (const { key, sealed } of sealedByKey) {
    const box = boxes.find((b) => sealed.every((s) => opens(b, s, key)));
    notes.push(
      box
        ? `setting ${key} holds secrets sealed with the key from ${box.source}: give every replica that key as FP_SECRET_KEY`
        : `setting ${key} holds secrets no key here opens (FP_SECRET_KEY${existsSync(keyFile) ? ` nor ${keyFile}` : ''}): give the replicas the key they were sealed with, or an Admin saves them again`
    );
  }
  return notes;
}

function opens(box: SecretBox, sealed: Sealed, context: string): boolean {
  try {
    box.open(sealed, context);
    return true;
  } catch {
    return false;
  }
}

function sealedIn(value: unknown): Sealed[] {
  const parsed = sealedSchema.safeParse(value);
  if (parsed.success) {
    return [parsed.data];
  }
  return typeof value === 'object' && value !== null ? Object.values(value).flatMap(sealedIn) : [];
}
