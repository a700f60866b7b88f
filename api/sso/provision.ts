// Who an assertion signs in: linked by the IdP subject, else by email (when the domain is
// allowed), else created just in time with the mapped role. A person deactivated in Edify stays
// out whatever the IdP says; seats apply to new people.
import { audit } from '../audit/service.ts';
import type { Role, Scope } from '../scope.ts';
import { User } from '../users/model.ts';
import { assertSeatsFor, SEAT_ROLES } from '../users/seats.ts';
import type { Connection } from './connections.ts';
import { ssoFailure } from './reasons.ts';

export type SamlProfile = { nameID?: string; attributes?: Record<string, unknown>; [key: string]: unknown };

const PRIORITY: Role[] = ['admin', 'teacher', 'student'];

function values(profile: SamlProfile, name: string | null | undefined): string[] {
  if (!name) return [];
  const raw = profile.attributes?.[name] ?? profile[name];
  const list = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
  return list.map((v) => String(v).trim()).filter(Boolean);
}

export function mappedRole(connection: Connection, profile: SamlProfile): Role | 'deny' {
  const found = values(profile, connection.role_attribute).map((v) => connection.role_map[v] ?? connection.role_map[v.toLowerCase()]);
  return PRIORITY.find((r) => (found as (Role | undefined)[]).includes(r)) ?? connection.default_role;
}

export type Identity = { subject: string; email: string; firstName: string; lastName: string; role: Role | 'deny' };

export function identityFrom(connection: Connection, profile: SamlProfile): Identity {
  const map = connection.attribute_map;
  const subject = values(profile, map.external_id)[0] ?? profile.nameID;
  if (!subject) throw ssoFailure('no_subject');
  const email = (values(profile, map.email ?? 'email')[0] ?? (profile.nameID?.includes('@') ? profile.nameID : undefined))?.toLowerCase();
  if (!email || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) throw ssoFailure('no_email');
  return {
    subject,
    email,
    firstName: values(profile, map.first_name ?? 'firstName')[0] ?? email.split('@')[0] ?? 'Unknown',
    lastName: values(profile, map.last_name ?? 'lastName')[0] ?? '',
    role: mappedRole(connection, profile),
  };
}

export async function provisionUser(scope: Scope, connection: Connection, identity: Identity): Promise<User> {
  const domain = identity.email.split('@')[1] ?? '';
  if (connection.allowed_domains.length > 0 && !connection.allowed_domains.includes(domain)) {
    throw ssoFailure('domain_not_allowed', domain);
  }
  const link = await scope.db('user_identities').where({ connection_id: connection.id, subject: identity.subject }).first('user_id');
  let user = link ? await User.query(scope.db).findOne({ id: link.user_id }) : undefined;
  if (!user) user = await User.query(scope.db).whereRaw('lower(email) = ?', [identity.email]).first();
  if (user?.status === 'deactivated') throw ssoFailure('deactivated', identity.email);

  if (!user) {
    if (identity.role === 'deny') throw ssoFailure('no_role', identity.email);
    if ((SEAT_ROLES as readonly string[]).includes(identity.role)) await assertSeatsFor(scope, 1);
    user = await User.query(scope.db).insertAndFetch({
      tenant_id: scope.tenant.id,
      email: identity.email,
      first_name: identity.firstName.slice(0, 100),
      last_name: (identity.lastName || '-').slice(0, 100),
      role: identity.role,
      status: 'active',
    });
    await audit(scope, 'user.created', { type: 'user', id: user.id }, { role: user.role, via: 'sso', connection_id: connection.id });
  } else {
    const patch: Partial<User> = {};
    if (user.status === 'invited') patch.status = 'active';
    if (connection.idp_is_source) {
      if (identity.firstName && identity.firstName !== user.first_name) patch.first_name = identity.firstName.slice(0, 100);
      if (identity.lastName && identity.lastName !== user.last_name) patch.last_name = identity.lastName.slice(0, 100);
      if (identity.role !== 'deny' && identity.role !== user.role) {
        patch.role = identity.role;
        await audit(scope, 'user.role_changed', { type: 'user', id: user.id }, { from: user.role, to: identity.role, via: 'sso' });
      }
    }
    if (Object.keys(patch).length > 0) user = await User.query(scope.db).patchAndFetchById(user.id, { ...patch, updated_at: new Date() });
  }
  await scope.db.raw(
    `insert into user_identities (tenant_id, user_id, connection_id, subject, last_login_at) values (?, ?, ?, ?, now())
     on conflict (tenant_id, connection_id, subject) do update set last_login_at = now(), user_id = excluded.user_id`,
    [scope.tenant.id, user.id, connection.id, identity.subject],
  );
  return user;
}
