// Subdomain skeletons now follow Unicode TR39 plus the ASCII look-alike table in tenants/slug.ts
// ("8eta", "bcta" and "beta" share one). Stored skeletons are recomputed in JavaScript (the
// skeleton has no SQL twin any more). Schools that already exist and now share a skeleton keep
// their subdomains: the older one keeps the skeleton, later ones get a private one
// (`<skeleton>~<slug>`, never equal to a computed skeleton), so nobody new can take either look-alike.
import type { Knex } from 'knex';
import { slugSkeleton } from '../tenants/slug.ts';
import { SKELETON_SQL } from './20261122000900_signup.ts';

async function parkSkeletons(knex: Knex): Promise<void> {
  await knex.raw(`update tenants set slug_skeleton = '~' || id::text`);
}

export async function up(knex: Knex): Promise<void> {
  const tenants: { id: string; slug: string }[] = await knex('tenants')
    .orderBy([{ column: 'created_at' }, { column: 'id' }])
    .select('id', 'slug');
  const taken = new Set<string>();
  const rows = tenants.map(({ id, slug }) => {
    const skeleton = slugSkeleton(slug);
    const value = taken.has(skeleton) ? `${skeleton}~${slug}` : skeleton;
    taken.add(skeleton);
    return { id, value };
  });
  await parkSkeletons(knex);
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    await knex.raw(
      `update tenants t set slug_skeleton = v.skeleton from (values ${chunk.map(() => '(?::uuid, ?)').join(', ')}) as v(id, skeleton) where t.id = v.id`,
      chunk.flatMap((r) => [r.id, r.value]),
    );
  }
}

export async function down(knex: Knex): Promise<void> {
  await parkSkeletons(knex);
  await knex.raw(`update tenants set slug_skeleton = ${SKELETON_SQL}`);
}
