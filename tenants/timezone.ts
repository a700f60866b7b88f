import { z } from 'zod';

/** An IANA time zone in a request body (signup, school settings). */
export const timeZoneInput = z
  .string()
  .max(100)
  .refine(isTimeZone, 'is not an IANA time zone such as Europe/London')
  .meta({ examples: ['Europe/London', 'America/Chicago'] });

/** Whether the runtime knows this IANA time zone (e.g. Europe/London). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The offset of `zone` from UTC at the instant `at`, in minutes (e.g. 60 for Europe/Paris in winter). */
export function offsetMinutes(zone: string, at: Date): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
}

/** A wall-clock time at the school ("2026-12-01T17:00") as an instant. Teachers set due dates
 * in their school's time zone; a time skipped by a DST change moves forward by the gap, and an
 * ambiguous one (the repeated hour) takes the earlier instant. */
export function zonedTimeToUtc(local: string, zone: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local);
  if (!match) throw new Error(`not a local date-time: ${local}`);
  const [y, mo, d, h, mi, s] = match.slice(1).map((part) => Number(part ?? 0)) as [number, number, number, number, number, number];
  const guess = Date.UTC(y, mo - 1, d, h, mi, s);
  // The offsets a day either side cover any DST change; keep the candidates that really show
  // this wall-clock time, earliest first. None does inside a gap: use the offset before it.
  const day = 86_400_000;
  const before = guess - offsetMinutes(zone, new Date(guess - day)) * 60_000;
  const after = guess - offsetMinutes(zone, new Date(guess + day)) * 60_000;
  const wall = local.length === 16 ? local : local.slice(0, 16);
  const valid = [before, after].filter((c) => utcToZonedTime(new Date(c), zone) === wall).sort((x, y) => x - y);
  return new Date(valid[0] ?? before);
}

/** An instant as the school's wall-clock time, "2026-12-01T17:00". */
export function utcToZonedTime(at: Date, zone: string): string {
  const shifted = new Date(at.getTime() + offsetMinutes(zone, at) * 60_000);
  return shifted.toISOString().slice(0, 16);
}
