// The platform audit (migrations/20261127000400): what operators did to schools, across schools.
// A school's own audit_events go with the school when it is deleted; these rows stay, naming the
// school by id and slug. Append-only for every role (grants and a trigger). Written in the same
// transaction as the change where there is one, so a change and its record commit together.
import type { Knex } from 'knex';

export type PlatformActor = { label: string; via?: string };
export type PlatformSchool = { id: string; slug: string } | null;

export async function platformAudit(
  db: Knex | Knex.Transaction,
  actor: PlatformActor,
  action: string,
  school: PlatformSchool,
  details: Record<string, unknown> = {},
): Promise<void> {
  await db('platform_audit').insert({
    actor: actor.label,
    via: actor.via ?? 'system',
    action,
    school_id: school?.id ?? null,
    school_slug: school?.slug ?? null,
    details: JSON.stringify(details),
  });
}

export type PlatformAuditEntry = {
  id: string;
  occurred_at: string;
  actor: string;
  via: string;
  action: string;
  school_id: string | null;
  school_slug: string | null;
  details: Record<string, unknown>;
};

/** Newest first. `slug` matches the slug the school had when the action was recorded, and also
 * every record of the school that now has (or last had) that slug, so a rename or deletion does
 * not hide its history. */
export async function listPlatformAudit(
  owner: Knex,
  filter: { slug?: string | undefined; since?: Date | undefined; action?: string | undefined; limit?: number | undefined } = {},
): Promise<PlatformAuditEntry[]> {
  const q = owner('platform_audit')
    .select('*')
    .orderBy([
      { column: 'occurred_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(filter.limit ?? 100);
  if (filter.slug) {
    const slug = filter.slug.toLowerCase();
    q.where((w) =>
      w
        .where('school_slug', slug)
        .orWhereIn('school_id', owner('tenants').select('id').where({ slug }))
        .orWhereIn('school_id', owner('platform_audit').select('school_id').where({ school_slug: slug }).whereNotNull('school_id')),
    );
  }
  if (filter.since) q.where('occurred_at', '>=', filter.since);
  if (filter.action) q.where('action', filter.action);
  const rows: (Omit<PlatformAuditEntry, 'occurred_at' | 'id'> & { id: string | number; occurred_at: Date })[] = await q;
  return rows.map((r) => ({
    id: String(r.id),
    occurred_at: new Date(r.occurred_at).toISOString(),
    actor: r.actor,
    via: r.via,
    action: r.action,
    school_id: r.school_id,
    school_slug: r.school_slug,
    details: r.details ?? {},
  }));
}
