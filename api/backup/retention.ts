// Which backups to keep: the newest archive of each of the last N days, ISO weeks and months
// that have one (per school, in UTC), and always each school's newest. Everything else is pruned.
// The same rule as restic's and borg's --keep-daily/--keep-weekly/--keep-monthly.
export type Keep = { daily: number; weekly: number; monthly: number };
export type Dated = { name: string; school: string; created_at: Date };
export type Decision<T extends Dated> = { backup: T; keep: boolean; reasons: string[] };

const day = (d: Date) => d.toISOString().slice(0, 10);
const month = (d: Date) => d.toISOString().slice(0, 7);
function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const weekday = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - weekday); // the Thursday of this week decides its year
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

export function retention<T extends Dated>(backups: T[], keep: Keep): Decision<T>[] {
  const bySchool = new Map<string, T[]>();
  for (const b of backups) bySchool.set(b.school, [...(bySchool.get(b.school) ?? []), b]);
  const decisions: Decision<T>[] = [];
  for (const list of bySchool.values()) {
    const sorted = [...list].sort((a, b) => b.created_at.getTime() - a.created_at.getTime() || b.name.localeCompare(a.name));
    const reasons = new Map<T, string[]>(sorted.map((b) => [b, []]));
    const rules: [string, number, (d: Date) => string][] = [
      ['daily', keep.daily, day],
      ['weekly', keep.weekly, isoWeek],
      ['monthly', keep.monthly, month],
    ];
    for (const [label, count, bucketOf] of rules) {
      const seen = new Set<string>();
      for (const b of sorted) {
        if (seen.size >= count) break;
        const bucket = bucketOf(b.created_at);
        if (seen.has(bucket)) continue;
        seen.add(bucket);
        reasons.get(b)?.push(`${label} ${bucket}`);
      }
    }
    const newest = sorted[0];
    if (newest) reasons.get(newest)?.push('newest');
    for (const b of sorted) {
      const why = reasons.get(b) ?? [];
      decisions.push({ backup: b, keep: why.length > 0, reasons: why });
    }
  }
  return decisions;
}
