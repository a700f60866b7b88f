// The school office's pages: the /admin hub, the school-wide classes view and the audit log. People
// and sign-on have their own files (admin-people.ts, admin-sign-on.ts); settings and billing are
// built elsewhere and linked from the hub. Every admin page is refused to anyone who may not run
// the school (the route's CASL check: 403, or sign-in first).
import { z } from 'zod';
import { zonedTimeToUtc } from '../../tenants/timezone.ts';
import { listAuditEvents } from '../audit/log.ts';
import { listClasses, presentClass, rosterSummaries, updateClass } from '../classes/service.ts';
import type { Scope } from '../scope.ts';
import { adminPeoplePages } from './admin-people.ts';
import { adminSignOnPages } from './admin-sign-on.ts';
import { page, pageRoute } from './page.ts';
import { phrase } from './words.ts';

const csrf = z.string().max(200).optional();
const school = { action: 'update', subject: 'School' } as const;
const PAGE = 50;

const doneNotice = (done: string | undefined) => {
  if (!done || !/^[a-z_]+$/.test(done)) return undefined;
  const text = phrase(`admin.done.${done}`);
  return text.startsWith('admin.done.') ? undefined : text;
};

// ---- hub ---------------------------------------------------------------------------------------

function hub(scope: Scope) {
  const can = scope.ability.can.bind(scope.ability);
  const sections = [
    { href: '/admin/people', key: 'people', show: can('manage', 'User') },
    { href: '/admin/classes', key: 'classes', show: can('update', 'School') },
    { href: '/admin/sign-on', key: 'signon', show: can('manage', 'SsoConnection') },
    { href: '/admin/audit', key: 'audit', show: can('read', 'AuditEvent') },
    { href: '/admin/settings', key: 'settings', show: can('update', 'School') },
    { href: '/admin/billing', key: 'billing', show: can('read', 'Billing') },
    { href: '/admin/course-payments', key: 'course_payments', show: can('manage', 'CoursePayment') },
  ];
  return sections.filter((s) => s.show).map((s) => ({ href: s.href, label: phrase(`admin.${s.key}`), about: phrase(`admin.${s.key}_about`) }));
}

// ---- classes -----------------------------------------------------------------------------------

const classesQuery = z.object({ archived: z.enum(['0', '1']).optional(), cursor: z.string().max(500).optional(), done: z.string().max(40).optional() });

async function classesPage(scope: Scope, query: z.infer<typeof classesQuery>) {
  const archived = query.archived === '1';
  const found = await listClasses(scope, { limit: PAGE, cursor: query.cursor, archived });
  const rosters = await rosterSummaries(
    scope,
    found.data.map((c) => c.id),
  );
  const params = new URLSearchParams(archived ? { archived: '1' } : {});
  if (found.next_cursor) params.set('cursor', found.next_cursor);
  return {
    title: phrase('admin.classes'),
    current: '/admin',
    archived,
    classes: found.data.map((c) => {
      const roster = rosters.get(c.id) ?? { teachers: [], students: 0 };
      return {
        ...presentClass(scope, c),
        teachers: roster.teachers.map((t) => `${t.first_name} ${t.last_name}`).join(', '),
        students: roster.students,
      };
    }),
    nextPage: found.next_cursor ? `/admin/classes?${params}` : undefined,
    notice: doneNotice(query.done),
  };
}

// ---- audit log ---------------------------------------------------------------------------------

const day = z.iso.date().or(z.literal('')).optional();
const auditQuery = z.object({
  person: z.string().trim().max(320).optional(),
  action: z.string().trim().max(100).optional(),
  from: day,
  to: day,
  cursor: z.string().max(500).optional(),
});

type Change = { label: string; before: string; after: string };

const shown = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** Before and after, for the changes people ask about: roles and grades (and category weights). */
function changeOf(action: string, details: Record<string, unknown>): Change | undefined {
  if ('from' in details && 'to' in details)
    return { label: action.endsWith('role_changed') ? phrase('admin.role') : '', before: shown(details.from), after: shown(details.to) };
  if ('old_score' in details && ('score' in details || 'new_score' in details))
    return { label: 'score', before: shown(details.old_score), after: shown(details.new_score ?? details.score) };
  if ('old' in details && 'new' in details) return { label: '', before: shown(details.old), after: shown(details.new) };
  return undefined;
}

/** The rest of the details as short "key: value" text. */
function restOf(details: Record<string, unknown>): string {
  const skip = new Set(['from', 'to', 'old_score', 'score', 'new_score', 'old', 'new']);
  return Object.entries(details)
    .filter(([k]) => !skip.has(k))
    .map(([k, v]) => `${k}: ${shown(v)}`)
    .join(', ')
    .slice(0, 300);
}

/** A day typed in the form ("2026-12-01") as the instant it starts at the school. */
const startOfDay = (scope: Scope, value: string) => zonedTimeToUtc(`${value}T00:00:00`, scope.tenant.timezone);
const nextDay = (value: string) => new Date(Date.parse(`${value}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

async function auditPage(scope: Scope, query: z.infer<typeof auditQuery>) {
  let actorId: string | undefined;
  let unknownPerson = false;
  if (query.person) {
    const person = await scope.db('users').whereRaw('lower(email) = ?', [query.person.toLowerCase()]).first('id');
    if (person) actorId = person.id;
    else unknownPerson = true;
  }
  const found = unknownPerson
    ? { data: [], next_cursor: null }
    : await listAuditEvents(scope, {
        limit: PAGE,
        cursor: query.cursor,
        action: query.action || undefined,
        actor_id: actorId,
        since: query.from ? startOfDay(scope, query.from).toISOString() : undefined,
        until: query.to ? startOfDay(scope, nextDay(query.to)).toISOString() : undefined,
      });
  // Names for the people in this page (actors and targets), in one query.
  const ids = new Set<string>();
  for (const e of found.data) {
    if (e.actor.id) ids.add(e.actor.id);
    if (e.target?.type === 'user' && e.target.id) ids.add(e.target.id);
  }
  const names = new Map<string, string>(
    ids.size === 0
      ? []
      : (
          await scope
            .db('users')
            .whereIn('id', [...ids])
            .select('id', 'first_name', 'last_name', 'email')
        ).map((u) => [u.id, `${u.first_name} ${u.last_name} (${u.email})`]),
  );
  const params = new URLSearchParams();
  for (const key of ['person', 'action', 'from', 'to'] as const) if (query[key]) params.set(key, String(query[key]));
  if (found.next_cursor) params.set('cursor', found.next_cursor);
  return {
    title: phrase('admin.audit'),
    current: '/admin',
    filter: query,
    unknownPerson,
    events: found.data.map((e) => ({
      ...e,
      who: (e.actor.id && names.get(e.actor.id)) || e.actor.label,
      about: e.target ? (e.target.type === 'user' && e.target.id && names.get(e.target.id)) || `${e.target.type} ${e.target.id ?? ''}` : '',
      change: changeOf(e.action, e.details),
      rest: restOf(e.details),
    })),
    nextPage: found.next_cursor ? `/admin/audit?${params}` : undefined,
  };
}

export const adminPages = [
  pageRoute({
    method: 'get',
    path: '/admin',
    summary: 'Running the school: people, classes, sign-on, audit log, settings, billing',
    access: school,
    allowReadOnly: true,
    handler: async ({ scope, deps }) => page(scope, deps, 'admin', { title: phrase('admin.heading'), current: '/admin', sections: hub(scope) }),
  }),
  ...adminPeoplePages,
  pageRoute({
    method: 'get',
    path: '/admin/classes',
    summary: 'Every class of the school with its teachers and roster size',
    access: school,
    allowReadOnly: true,
    query: classesQuery,
    handler: async ({ scope, deps, query }) => page(scope, deps, 'admin-classes', await classesPage(scope, query)),
  }),
  pageRoute({
    method: 'post',
    path: '/admin/classes/:id/archive',
    summary: 'Archive a class (read-only for everyone), or bring it back',
    access: school,
    params: z.object({ id: z.uuid() }),
    form: true,
    body: z.object({ _csrf: csrf, archived: z.enum(['true', 'false']) }),
    handler: async ({ scope, params, body }) => {
      const archived = body.archived === 'true';
      await updateClass(scope, params.id, { archived });
      return { redirect: `/admin/classes?done=${archived ? 'archived' : 'restored'}` };
    },
  }),
  ...adminSignOnPages,
  pageRoute({
    method: 'get',
    path: '/admin/audit',
    summary: 'The audit log: by person, action and dates, newest first, with before and after for roles and grades',
    access: { action: 'read', subject: 'AuditEvent' },
    allowReadOnly: true,
    query: auditQuery,
    handler: async ({ scope, deps, query }) => page(scope, deps, 'admin-audit', await auditPage(scope, query)),
  }),
];
