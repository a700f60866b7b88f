// Class resources and their topics. Every read and write goes through the Resource rules turned
// into SQL (api/resources/rules.ts); topics obey the same rules as the resources they group.
// Positions order a group (a topic, or the ungrouped resources); gaps are harmless, so deleting
// never renumbers, and a reorder rewrites the whole group from the list it is given.
import type { Knex } from 'knex';
import type { Action } from '../access/ability.ts';
import { findAccessible } from '../access/find.ts';
import { accessibleBy } from '../access/query.ts';
import { audit } from '../audit/service.ts';
import { Class } from '../classes/model.ts';
import { assertClassWritable, assertNotArchived, findClass } from '../classes/service.ts';
import { attachResolved, presentAttachments, resolveAttachments } from '../content/attachments.ts';
import { renderMarkdown } from '../content/markdown.ts';
import { type Page, type PageQuery, paginate } from '../content/pagination.ts';
import { conflict, forbidden, invalid } from '../errors.ts';
import { actorUserId, now, type Scope } from '../scope.ts';
import { RESOURCE_FIELDS, RESOURCE_FIELDS_ON_CLASS, Resource, ResourceTopic, TOPIC_FIELDS } from './model.ts';
import {
  type CreateResourceInput,
  MAX_PER_GROUP,
  type ResourceListQuery,
  type ResourceOrderInput,
  type ResourceView,
  type TopicInput,
  type TopicView,
  type UpdateResourceInput,
} from './schema.ts';

export function presentResource(r: Resource): ResourceView {
  return {
    id: r.id,
    class_id: r.class_id,
    topic_id: r.topic_id,
    title: r.title,
    description: r.description,
    description_html: renderMarkdown(r.description),
    kind: r.kind,
    url: r.url,
    attachment: r.kind === 'file' ? (presentAttachments([r.attachment])[0] ?? null) : null,
    position: r.position,
    created_by: r.created_by,
    created_at: new Date(r.created_at).toISOString(),
    updated_at: new Date(r.updated_at).toISOString(),
  };
}

// count(*)::int arrives as a number (int4), not a bigint string.
type TopicRow = ResourceTopic & { resource_count: number };

export function presentTopic(t: TopicRow): TopicView {
  return {
    id: t.id,
    class_id: t.class_id,
    title: t.title,
    position: t.position,
    resource_count: t.resource_count,
    created_at: new Date(t.created_at).toISOString(),
    updated_at: new Date(t.updated_at).toISOString(),
  };
}

const accessible = (scope: Scope, action: Action) => accessibleBy(scope.ability, action, 'Resource', RESOURCE_FIELDS);
const accessibleTopic = (scope: Scope, action: Action) => accessibleBy(scope.ability, action, 'Resource', TOPIC_FIELDS);

/** The class, if the caller may see it (else 404) and may `action` its resources (else 403).
 * Writes also need the class not to be archived (409). */
async function resourceClass(scope: Scope, classId: string, action: Action): Promise<Class> {
  const found = await findClass(scope, classId, 'read');
  if (action === 'read') return found;
  const allowed = await Class.query(scope.db)
    .modify(accessibleBy(scope.ability, action, 'Resource', RESOURCE_FIELDS_ON_CLASS))
    .findOne({ 'classes.id': classId });
  if (!allowed) throw forbidden('You can see this class but not change its resources.');
  assertNotArchived(found);
  return found;
}

/** A topic of this class, or a field error: a topic of another class is a client mistake. */
async function topicOf(scope: Scope, classId: string, topicId: string, where: 'body' | 'query' = 'body'): Promise<ResourceTopic> {
  const topic = await ResourceTopic.query(scope.db).findOne({ id: topicId, class_id: classId });
  if (!topic) throw invalid([{ in: where, field: 'topic_id', message: 'is not a topic of this class' }]);
  return topic;
}

const inGroup = (topicId: string | null) => (q: Knex.QueryBuilder) => (topicId === null ? q.whereNull('topic_id') : q.where('topic_id', topicId));

type GroupState = { next: number; count: number };

async function groupState(scope: Scope, table: 'resources' | 'resource_topics', classId: string, topicId?: string | null): Promise<GroupState> {
  const query = scope.db(table).where('class_id', classId);
  if (topicId !== undefined) query.where(inGroup(topicId));
  return (await query.first(scope.db.raw('coalesce(max(position) + 1, 0)::int as next'), scope.db.raw('count(*)::int as count'))) as GroupState;
}

/** The position after the last resource of a group, refusing to grow a full group. */
async function endOfGroup(scope: Scope, classId: string, topicId: string | null, adding = 1): Promise<number> {
  const group = await groupState(scope, 'resources', classId, topicId);
  if (group.count + adding > MAX_PER_GROUP) {
    throw conflict(`A topic (and the ungrouped list) holds at most ${MAX_PER_GROUP} resources; use another topic.`);
  }
  return group.next;
}

// ── Resources ──────────────────────────────────────────────────────────────────────────────

export async function createResource(scope: Scope, classId: string, input: CreateResourceInput): Promise<Resource> {
  await resourceClass(scope, classId, 'create');
  const topicId = input.topic_id ?? null;
  if (topicId) await topicOf(scope, classId, topicId);
  const attachment = input.kind === 'file' ? await resolveAttachments(scope, [input.attachment], { kind: 'resource', classId }, 'attachment') : undefined;
  const stamp = now(scope);
  const created = await Resource.query(scope.db).insertAndFetch({
    tenant_id: scope.tenant.id,
    class_id: classId,
    topic_id: topicId,
    title: input.title,
    description: input.description ?? null,
    kind: input.kind,
    url: input.kind === 'link' ? input.url : null,
    attachment: attachment?.stored[0] ?? null,
    position: await endOfGroup(scope, classId, topicId),
    created_by: actorUserId(scope.actor) ?? null,
    created_at: stamp,
    updated_at: stamp,
  });
  if (attachment) await attachResolved(scope, attachment, { kind: 'resource', id: created.id, classId });
  await audit(scope, 'resource.created', { type: 'resource', id: created.id }, { class_id: classId, kind: input.kind });
  return created;
}

/** The resource if the ability allows `action` on it: 404 when the caller may not see it, 403
 * when they may see it but not do this. */
export function findResource(scope: Scope, id: string, action: Action = 'read'): Promise<Resource> {
  return findAccessible(action, (a) => Resource.query(scope.db).modify(accessible(scope, a)).findOne({ 'resources.id': id }), {
    what: 'The resource',
    cannot: 'You can see this resource but not change it.',
  });
}

export async function updateResource(scope: Scope, id: string, input: UpdateResourceInput): Promise<Resource> {
  const current = await findResource(scope, id, 'update');
  await assertClassWritable(scope, current.class_id);
  if (input.url !== undefined && current.kind !== 'link') {
    throw invalid([{ in: 'body', field: 'url', message: 'only links have a url; change a file through its attachment' }]);
  }
  if (input.attachment !== undefined && current.kind !== 'file') {
    throw invalid([{ in: 'body', field: 'attachment', message: 'only files have an attachment; change a link through its url' }]);
  }
  const owner = { kind: 'resource' as const, id: current.id, classId: current.class_id };
  const attachment = input.attachment === undefined ? undefined : await resolveAttachments(scope, [input.attachment], owner, 'attachment');
  const patch: Record<string, unknown> = { updated_at: now(scope) };
  if (input.title !== undefined) patch.title = input.title;
  if (input.description !== undefined) patch.description = input.description;
  if (input.url !== undefined) patch.url = input.url;
  if (attachment) patch.attachment = attachment.stored[0];
  const target = input.topic_id === undefined ? current.topic_id : input.topic_id;
  if (target !== current.topic_id) {
    if (target) await topicOf(scope, current.class_id, target);
    patch.topic_id = target;
    patch.position = await endOfGroup(scope, current.class_id, target);
  }
  const updated = await Resource.query(scope.db).patchAndFetchById(current.id, patch);
  if (attachment) await attachResolved(scope, attachment, owner);
  await audit(scope, 'resource.updated', { type: 'resource', id }, { fields: Object.keys(input) });
  return updated;
}

export async function deleteResource(scope: Scope, id: string): Promise<void> {
  const current = await findResource(scope, id, 'delete');
  await assertClassWritable(scope, current.class_id);
  await Resource.query(scope.db).delete().where({ id: current.id });
  await audit(scope, 'resource.deleted', { type: 'resource', id }, { class_id: current.class_id, title: current.title });
}

/** A class's resources: ungrouped ones first, then topic by topic, each in its order. */
export async function listResources(scope: Scope, classId: string, query: ResourceListQuery): Promise<Page<Resource>> {
  await resourceClass(scope, classId, 'read');
  if (query.topic_id && query.topic_id !== 'none') await topicOf(scope, classId, query.topic_id, 'query');
  const inner = scope
    .db('resources')
    .leftJoin('resource_topics as t', (j) => j.on('t.tenant_id', 'resources.tenant_id').andOn('t.id', 'resources.topic_id'))
    .where('resources.class_id', classId)
    .modify(accessible(scope, 'read'))
    // One sortable key for keyset paging: (topic's place, resource's place), fixed-width digits.
    .select(
      'resources.*',
      scope.db.raw(`(lpad((coalesce(t.position, -1) + 1)::text, 10, '0') || '.' || lpad(resources.position::text, 10, '0')) collate "C" as sort_key`),
    );
  if (query.topic_id === 'none') inner.whereNull('resources.topic_id');
  else if (query.topic_id) inner.where('resources.topic_id', query.topic_id);
  type Row = Resource & { sort_key: string };
  return paginate<Row>(scope.db.from(inner.as('r')).select('r.*'), query, { sort: 'r.sort_key', id: 'r.id', sortOf: (r) => r.sort_key, idOf: (r) => r.id });
}

export async function reorderResources(scope: Scope, classId: string, input: ResourceOrderInput): Promise<void> {
  await resourceClass(scope, classId, 'update');
  if (input.topic_id) await topicOf(scope, classId, input.topic_id);
  const current: string[] = await scope.db('resources').where('class_id', classId).where(inGroup(input.topic_id)).pluck('id');
  assertSameSet(current, input.resource_ids, 'resource_ids', input.topic_id ? 'resource of this topic' : 'ungrouped resource of this class');
  await renumber(scope, 'resources', classId, input.resource_ids);
  await audit(scope, 'resources.reordered', { type: 'class', id: classId }, { topic_id: input.topic_id });
}

/** A reorder must name every member of the group exactly once: a stale list (someone added or
 * moved a resource meanwhile) is refused rather than half-applied. */
function assertSameSet(current: string[], given: string[], field: string, what: string): void {
  const known = new Set(current);
  const missing = current.filter((id) => !given.includes(id)).length;
  const unknown = given.filter((id) => !known.has(id)).length;
  if (missing === 0 && unknown === 0) return;
  const problems = [missing ? `${missing} missing` : '', unknown ? `${unknown} not a ${what}` : ''].filter(Boolean).join(', ');
  throw invalid([{ in: 'body', field, message: `must list every ${what} exactly once (${problems})` }]);
}

async function renumber(scope: Scope, table: 'resources' | 'resource_topics', classId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  // One placeholder per id: knex expands an array binding into a list, not a Postgres array.
  const list = ids.map(() => '?').join(', ');
  await scope.db.raw(
    `update ?? as x set position = v.ord - 1 from unnest(array[${list}]::uuid[]) with ordinality as v(id, ord) where x.class_id = ? and x.id = v.id`,
    [table, ...ids, classId],
  );
}

// ── Topics ─────────────────────────────────────────────────────────────────────────────────

const topicColumns = (db: Knex) => [
  'resource_topics.*',
  db.raw('(select count(*)::int from resources r where r.tenant_id = resource_topics.tenant_id and r.topic_id = resource_topics.id) as resource_count'),
];

export async function listTopics(scope: Scope, classId: string, page: PageQuery): Promise<Page<TopicRow>> {
  await resourceClass(scope, classId, 'read');
  const query = ResourceTopic.query(scope.db)
    .select(...topicColumns(scope.db))
    .where('resource_topics.class_id', classId)
    .modify(accessibleTopic(scope, 'read'));
  return paginate<TopicRow>(query, page, { sort: 'resource_topics.position', id: 'resource_topics.id', sortOf: (t) => t.position, idOf: (t) => t.id });
}

export async function createTopic(scope: Scope, classId: string, input: TopicInput): Promise<TopicRow> {
  await resourceClass(scope, classId, 'create');
  const row = await groupState(scope, 'resource_topics', classId);
  if (row.count >= MAX_PER_GROUP) throw conflict(`A class holds at most ${MAX_PER_GROUP} topics.`);
  const stamp = now(scope);
  const created = await ResourceTopic.query(scope.db).insertAndFetch({
    tenant_id: scope.tenant.id,
    class_id: classId,
    title: input.title,
    position: row.next,
    created_by: actorUserId(scope.actor) ?? null,
    created_at: stamp,
    updated_at: stamp,
  });
  await audit(scope, 'resource_topic.created', { type: 'resource_topic', id: created.id }, { class_id: classId });
  return Object.assign(created, { resource_count: 0 });
}

function findTopic(scope: Scope, id: string, action: Action): Promise<ResourceTopic> {
  return findAccessible(action, (a) => ResourceTopic.query(scope.db).modify(accessibleTopic(scope, a)).findOne({ 'resource_topics.id': id }), {
    what: 'The topic',
    cannot: 'You can see this topic but not change it.',
  });
}

export async function updateTopic(scope: Scope, id: string, input: TopicInput): Promise<TopicRow> {
  const current = await findTopic(scope, id, 'update');
  await assertClassWritable(scope, current.class_id);
  await ResourceTopic.query(scope.db)
    .patch({ title: input.title, updated_at: now(scope) })
    .where({ id });
  await audit(scope, 'resource_topic.updated', { type: 'resource_topic', id }, { fields: Object.keys(input) });
  return (await ResourceTopic.query(scope.db)
    .select(...topicColumns(scope.db))
    .findOne({ 'resource_topics.id': id })) as TopicRow;
}

/** Deleting a topic keeps its resources: they join the end of the ungrouped ones, in order. */
export async function deleteTopic(scope: Scope, id: string): Promise<void> {
  const current = await findTopic(scope, id, 'delete');
  await assertClassWritable(scope, current.class_id);
  const moving = Number((await scope.db('resources').where({ topic_id: id }).count({ n: '*' }).first())?.n ?? 0);
  if (moving > 0) {
    const base = await endOfGroup(scope, current.class_id, null, moving);
    await scope
      .db('resources')
      .where({ topic_id: id })
      .update({ topic_id: null, position: scope.db.raw('? + position', [base]), updated_at: now(scope) });
  }
  await ResourceTopic.query(scope.db).delete().where({ id });
  await audit(scope, 'resource_topic.deleted', { type: 'resource_topic', id }, { class_id: current.class_id, resources_ungrouped: moving });
}

export async function reorderTopics(scope: Scope, classId: string, topicIds: string[]): Promise<void> {
  await resourceClass(scope, classId, 'update');
  const current: string[] = await scope.db('resource_topics').where('class_id', classId).pluck('id');
  assertSameSet(current, topicIds, 'topic_ids', 'topic of this class');
  await renumber(scope, 'resource_topics', classId, topicIds);
  await audit(scope, 'resource_topics.reordered', { type: 'class', id: classId });
}
