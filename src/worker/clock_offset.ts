/**
 * The database's clock against the host's (MySQL/MariaDB): applications
 * usually write `time_run_at` with the database's `UNIX_TIMESTAMP()`, and the
 * worker compares it with its own clock, so a difference between the two
 * starts deferred jobs that much early or late. Each reading (the name lock's
 * statements read the database's clock: at start and every 5 s) updates the
 * offset; a difference beyond {@linkcode CLOCK_OFFSET_WARN_MS}, after the
 * round trip is allowed for, is one warning, repeated only when it changes
 * by more than {@linkcode CLOCK_OFFSET_CHANGE_MS}, and one line when it is
 * back within bounds.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";

const log = getLogger(["jobd", "worker"]);

/** A difference of clocks the worker warns about, beyond the round trip (ms). */
export const CLOCK_OFFSET_WARN_MS = 2_000;

/** How much a difference already warned about must change to be warned about again (ms). */
export const CLOCK_OFFSET_CHANGE_MS = 1_000;

/** One reading of the database's clock: its time, and the host's before and after asking (ms). */
export interface ClockReading {
  databaseMs: number;
  sentAt: number;
  receivedAt: number;
}

/** The last known offset of the database's clock from the host's, and the lines about it. */
export class ClockOffset {
  readonly #where: string;
  /** The database's clock minus the host's, ms, as last read. */
  #offsetMs: number | undefined;
  /** The offset last warned about, while it is out of bounds. */
  #warnedMs: number | undefined;

  /** `where` names the database in the lines (`127.0.0.1:3306/jobs`). */
  constructor(where: string) {
    this.#where = where;
  }

  /** The database's clock minus the host's, in seconds; undefined before the first reading. */
  get offsetSeconds(): number | undefined {
    return this.#offsetMs === undefined ? undefined : this.#offsetMs / 1000;
  }

  /** Takes a reading in; returns the line it logged, if any. */
  observe(reading: ClockReading): string | undefined {
    const { databaseMs, sentAt, receivedAt } = reading;
    if (!Number.isFinite(databaseMs) || receivedAt < sentAt) return undefined;
    const offset = databaseMs - (sentAt + receivedAt) / 2;
    this.#offsetMs = offset;
    // The database read its clock somewhere within the round trip.
    const beyond = Math.abs(offset) - (receivedAt - sentAt) / 2 > CLOCK_OFFSET_WARN_MS;
    if (!beyond) {
      if (this.#warnedMs === undefined) return undefined;
      this.#warnedMs = undefined;
      const line = `The clock of the database ${this.#where} is within ` +
        `${CLOCK_OFFSET_WARN_MS / 1000} s of this host's again (${describe(offset)})`;
      log.info("{line}", { line });
      return line;
    }
    if (
      this.#warnedMs !== undefined && Math.abs(offset - this.#warnedMs) <= CLOCK_OFFSET_CHANGE_MS
    ) {
      return undefined;
    }
    this.#warnedMs = offset;
    const seconds = formatSeconds(Math.abs(offset));
    const line = `The clock of the database ${this.#where} is ${describe(offset)}: ` +
      `deferred jobs (a time_run_at written with the database's UNIX_TIMESTAMP()) start ` +
      `${seconds} ${offset > 0 ? "late" : "early"}; keep both clocks in sync (NTP)`;
    log.warn("{line}", { line });
    return line;
  }
}

/** `3.2 s ahead of this host's`, `3.2 s behind this host's`. */
function describe(offsetMs: number): string {
  return `${formatSeconds(Math.abs(offsetMs))} ${offsetMs > 0 ? "ahead of" : "behind"} this host's`;
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
