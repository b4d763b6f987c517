/**
 * The one time window of everything the service stores (README, "Times"): from 1970-01-01T00:00:00Z to one
 * day past the clock at the moment of the write. Imports move times outside it to its nearest end (with a
 * note); writes that derive a time from a stored one (a strictly later `updated_at`) never step past it.
 *
 * Reads are robust on their own: a stored time outside what the API can write (ISO 8601 with a four-digit
 * year, years 1 to 9999; e.g. year 10000, `infinity` or a BC date put there by hand) is clamped to that range
 * when read, so one such row never turns a listing into a 500. The migration
 * Migration20261203000000_time_window moved the rows written before the window existed into it.
 */
import { MAX_TIME_MS, MIN_TIME_MS } from './model.js';

/** The window's start: 1970-01-01T00:00:00.000Z. */
export const TIME_WINDOW_START_MS = 0;
/** How far past the writer's clock a stored time may lie (clock skew between replicas, time zones of imports). */
export const TIME_WINDOW_AHEAD_MS = 86_400_000;

export interface TimeWindow {
  /** Milliseconds since 1970, both ends included. */
  min: number;
  max: number;
}

/** The window for a write happening at `now`. */
export function timeWindow(now: Date): TimeWindow {
  return { min: TIME_WINDOW_START_MS, max: Math.min(now.getTime() + TIME_WINDOW_AHEAD_MS, MAX_TIME_MS) };
}

/** `ms` moved into `w` (its nearest end when outside). */
export function clampMs(ms: number, w: TimeWindow): number {
  return Math.min(Math.max(ms, w.min), w.max);
}

/** The last instant a write at `now` may store. */
export function windowEnd(now: Date): Date {
  return new Date(timeWindow(now).max);
}

/**
 * A time read from a store, as the API can write it (years 1 to 9999): outside that range it is clamped to
 * the nearest end; an invalid Date (a BSON date beyond JavaScript's range) reads as the window's start.
 */
export function readableTime(d: Date): Date {
  const ms = d.getTime();
  if (Number.isNaN(ms)) return new Date(TIME_WINDOW_START_MS);
  return ms < MIN_TIME_MS ? new Date(MIN_TIME_MS) : ms > MAX_TIME_MS ? new Date(MAX_TIME_MS) : d;
}
