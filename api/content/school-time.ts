// Times teachers type (due dates, quiz windows, scheduled posts). A time with an offset or Z is
// an instant; a bare "2026-12-01T17:00" is a wall-clock time at the school, in its time zone.
// Responses give instants (ISO, UTC) plus the school's wall-clock reading where a person reads it.
import { z } from 'zod';
import { utcToZonedTime, zonedTimeToUtc } from '../../tenants/timezone.ts';
import { now, type Scope } from '../scope.ts';

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** A wall-clock time that exists on the calendar: no 2026-02-30, no 25:00. */
function realLocal(v: string): boolean {
  const m = LOCAL.exec(v);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = m.slice(1).map((part) => Number(part ?? 0)) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && h < 24 && mi < 60 && s < 60;
}

export const schoolTimeInput = z
  .string()
  .trim()
  .refine((v) => realLocal(v) || (z.iso.datetime({ offset: true }).safeParse(v).success && !Number.isNaN(Date.parse(v))), {
    message: 'must be a date-time like 2026-12-01T17:00 (school time) or 2026-12-01T17:00:00Z',
  })
  .describe('A date-time. Without an offset it is read in the school’s time zone.')
  // The document's words for the refinement above (a plain refine is invisible in JSON Schema).
  .meta({
    pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})?$',
    examples: ['2026-12-01T17:00', '2026-12-01T17:00:00Z'],
  });

/** The instant a schoolTimeInput names, for this school. */
export function toInstant(scope: Pick<Scope, 'tenant'>, value: string): Date {
  return LOCAL.test(value) ? zonedTimeToUtc(value, scope.tenant.timezone) : new Date(value);
}

/** Same, passing null and undefined through (for optional and clearable fields). */
export function toInstantOrNull<T extends string | null | undefined>(scope: Pick<Scope, 'tenant'>, value: T): Date | Exclude<T, string> {
  return typeof value === 'string' ? toInstant(scope, value) : (value as Exclude<T, string>);
}

/** The school's wall-clock reading of an instant ("2026-12-01T17:00"). */
export function schoolClock(scope: Pick<Scope, 'tenant'>, at: Date | string | null): string | null {
  return at === null ? null : utcToZonedTime(new Date(at), scope.tenant.timezone);
}

/** When something becomes visible (homework, notices): "now", a time (scheduled while in the
 * future), or null for a draft. */
export const publishAtInput = z.union([z.literal('now'), schoolTimeInput]).nullable();

/** The instant a publishAtInput names ("now" is the scope's clock). */
export function publishInstant(scope: Pick<Scope, 'tenant' | 'clock'>, value: string): Date {
  return value === 'now' ? now(scope) : toInstant(scope, value);
}
