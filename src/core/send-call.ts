/** A send system call takes well under this; a longer gap means the process was descheduled around it. */
export const MAX_SEND_CALL_MS = 1;

/**
 * The send time of a packet timed around a synchronous send call (JavaScript timing): the time after the call,
 * unless the call took longer than a send can (the process lost the CPU around it); then the time before,
 * which never makes a round trip too short.
 */
export function sendTimeMs(beforeMs: number, afterMs: number): number {
  return afterMs - beforeMs < MAX_SEND_CALL_MS ? afterMs : beforeMs;
}
