// What the sign-in form offers: a password, and one button per enabled SAML connection.
import type { Scope } from '../scope.ts';

export async function signInOptions(scope: Scope): Promise<{ connections: { id: string; name: string }[] }> {
  // Public on purpose: the names of the district sign-ins are what a visitor clicks.
  const connections = await scope.db('saml_connections').where({ enabled: true }).orderBy('name').select('id', 'name');
  return { connections };
}
