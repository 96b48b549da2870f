import { messageOf } from '../../../utils/messageOf';
import { deserialize, serialize } from 'node:v8';
import { targetModelStateSchema, type TargetModelState } from './targetState';

/** A stored state that cannot be read back: the message says which field was wrong. */
export class StateCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateCodecError';
  }
}

/**
 * The compact checkpoint of a target's state: V8's structured-clone serialisation, done in native
 * code, binary (a fifth smaller than JSON for the failureprophet detector's state), and exact for NaN and ±Infinity (not yet learned,
 * running min/max) without a replacer called on every value. Read back through the state schema.
 * V8 reads what older versions wrote; a downgrade of Node may not read what a newer one wrote.
 */
export function encodeState(state: TargetModelState): Buffer {
  return serialize(state);
}

export function decodeState(bytes: Uint8Array): TargetModelState {
  let value: unknown;
  try {
    value = deserialize(bytes);
  } catch (err) {
    throw new StateCodecError(`not a serialised target state: ${messageOf(err)}`);
  }
  return checked(value);
}

/** A state stored as JSON by earlier builds (non-finite numbers as `{"$n":"NaN"|"Inf"|"-Inf"}`). */
export function decodeLegacyState(text: string): TargetModelState {
  let value: unknown;
  try {
    value = JSON.parse(text, reviveNaN);
  } catch (err) {
    throw new StateCodecError(`not JSON: ${messageOf(err)}`);
  }
  return checked(value);
}

function checked(value: unknown): TargetModelState {
  const parsed = targetModelStateSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StateCodecError(`field ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** Detector states hold NaN (not yet learned) and ±Infinity (running min/max); JSON holds neither. */
export function replaceNaN(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return Number.isNaN(value) ? { $n: 'NaN' } : { $n: value > 0 ? 'Inf' : '-Inf' };
  }
  return value;
}

export function reviveNaN(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && '$n' in value) {
    const tag = value.$n;
    return tag === 'NaN' ? NaN : tag === 'Inf' ? Infinity : tag === '-Inf' ? -Infinity : value;
  }
  return value;
}
