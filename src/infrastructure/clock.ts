import type { Clock } from '../federation/ports.js';

/** The system clock, in seconds since the epoch. */
export const systemClock: Clock = { now: () => Date.now() / 1000 };
