import { codeOf, messageOf } from '../../../utils/messageOf';
import { WRITE_REFUSAL_ADVICE, type Refusal, type WriteProbe } from '../writeHealth';
import { StoreUnavailableError } from './pool';

interface Meaning {
  /** /readyz's phrase. */
  reason: string;
  /** What the server's state is, after "PostgreSQL at host:port/db". */
  state: string;
  /** What mends it. */
  cure: string;
}

/**
 * SQLSTATEs (PostgreSQL's Appendix A, "PostgreSQL Error Codes") that say the server cannot keep what
 * it is given, whatever it is: class 53 (insufficient resources), 25006 and 58030. Not a constraint, a
 * serialization failure or a cancelled statement: those are about one write, not the store.
 */
const REFUSING: Record<string, Meaning> = {
  '53000': {
    reason: 'insufficient resources',
    state: 'lacks a resource (insufficient_resources)',
    cure: "see the server's log",
  },
  '53100': { reason: 'full', state: 'has no room left on its disk (disk_full)', cure: 'free space on its disk' },
  '53200': { reason: 'out of memory', state: 'is out of memory (out_of_memory)', cure: 'give it more memory' },
  '53300': {
    reason: 'too many connections',
    state: 'refuses more connections (too_many_connections)',
    cure: "raise its max_connections (or the role's or database's CONNECTION LIMIT), or lower store.maxConnections of the replicas",
  },
  '25006': {
    reason: 'read only',
    state: 'refuses writes in a read-only transaction (read_only_sql_transaction)',
    cure: 'point store.url at the primary, not a hot standby, or turn default_transaction_read_only off',
  },
  '58030': { reason: 'io error', state: 'cannot read or write its files (io_error)', cure: 'fix its disk' },
};

/** SQLSTATE class 08 and class 57's shutdowns, and refused connections: the server is gone. */
const GONE: Meaning = {
  reason: 'unavailable',
  state: 'is unavailable',
  cure: 'the pool connects again on the next call once the server answers',
};

/**
 * PostgreSQL: a call refused by the server's state (REFUSING), or by its absence (a StoreUnavailableError:
 * refused or lost connections, a shutdown), sets it; the same call going through clears it. PostgreSQL
 * has no page count to tell room from: every kind here is the server's, so the watch loop's next
 * checkpoint (or the call the operator repeats) says it writes again.
 */
export function postgresWriteProbe(where: string): WriteProbe<undefined> {
  return {
    where: `PostgreSQL at ${where}`,
    refusal: (err) => refusalOf(err, where),
    standing: () => undefined,
    mark: () => undefined,
    writesAgain: (_before, _after, refused) => refused,
  };
}

/** What the error says of the server: its code and meaning, when it is one of its refusals. */
function refused(err: unknown): { code: string; meaning: Meaning } | undefined {
  const gone = err instanceof StoreUnavailableError;
  const cause = gone ? err.cause : err;
  const code = codeOf(cause) ?? (gone ? lostConnection(messageOf(cause)) : undefined);
  const meaning = code === undefined ? undefined : gone ? GONE : REFUSING[code];
  return code !== undefined && meaning ? { code, meaning } : undefined;
}

export function refusalOf(err: unknown, where: string): Refusal | undefined {
  const found = refused(err);
  return (
    found && {
      code: found.code,
      reason: found.meaning.reason,
      message: `PostgreSQL at ${where} ${found.meaning.state} (${found.code})`,
      advice: `${WRITE_REFUSAL_ADVICE}: ${found.meaning.cure}`,
    }
  );
}

/** /readyz's phrase for a PostgreSQL refusal ("full", "unavailable"); undefined for any other error. */
export const postgresRefusalReason = (err: unknown): string | undefined => refused(err)?.meaning.reason;

/** The driver says a connection it lost only in words: a code for the log, the same on every such loss. */
const lostConnection = (message: string): string =>
  /due to connection timeout/.test(message) ? 'connect timeout' : 'connection lost';
