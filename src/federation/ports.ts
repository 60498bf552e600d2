/** Ports: what the pure core needs from the outside world, implemented by the infrastructure. */

/** Current time. The core never reads the system clock itself. */
export interface Clock {
  /** Seconds since the epoch (may be fractional). */
  now(): number;
}
