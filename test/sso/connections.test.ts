// Connections from IdP metadata, through the admin API and the CLI.
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { edify } from '../helpers/cli.ts';
import { createPerson, createSchool, uniqueSlug } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';
import { idpMetadata, idpMetadataWithout, keyPair } from '../helpers/saml-idp.ts';

const IDP = { entityId: 'https://idp.district.test/saml', ssoUrl: 'https://idp.district.test/sso' };

test('importing real-world-shaped metadata takes the signing keys (with and without use), never the encryption key', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const metadata_xml = idpMetadata({ ...IDP, certs: [keyPair('idp').cert, keyPair('idp-next').cert] });
  const res = await app.request(school.slug, 'POST', '/api/v1/sso/connections', { token: school.admin.token, body: { metadata_xml, name: 'Springfield' } });
  t.is(res.status, 201);
  t.is(res.body.idp_entity_id, IDP.entityId);
  t.is(res.body.sso_url, IDP.ssoUrl);
  t.deepEqual(
    res.body.certificates.map((c: { subject: string }) => c.subject),
    ['CN=idp.district.test', 'CN=idp-next.district.test'],
  );
  t.is(res.body.acs_url, `${res.body.sp_entity_id.replace(/\/metadata$/, '')}/acs`);
  t.is(res.body.default_role, 'deny');
  t.false(res.body.allow_idp_initiated);
});

test('bad metadata is refused with the precise reason, and nothing is saved', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const cases: [string, RegExp][] = [
    ['just some text', /not XML/],
    ['<EntityDescriptor><unclosed></EntityDescriptor>', /not well-formed XML/],
    [idpMetadataWithout('signing-cert', { ...IDP, certs: [keyPair('idp').cert] }), /no signing certificate/],
    [idpMetadataWithout('sso-endpoint', { ...IDP, certs: [keyPair('idp').cert] }), /no SingleSignOnService/],
    [idpMetadata({ ...IDP, certs: [keyPair('expired').cert] }), /every signing certificate has expired \(the newest expired on 2021-01-01\)/],
  ];
  for (const [metadata_xml, reason] of cases) {
    const res = await app.request(school.slug, 'POST', '/api/v1/sso/connections', { token: school.admin.token, body: { metadata_xml } });
    t.is(res.status, 422);
    t.regex(res.body.detail, reason);
    t.is(res.body.errors[0].field, 'metadata');
  }
  t.deepEqual((await app.request(school.slug, 'GET', '/api/v1/sso/connections', { token: school.admin.token })).body.data, []);
  const mixed = await app.request(school.slug, 'POST', '/api/v1/sso/connections', {
    token: school.admin.token,
    body: { metadata_xml: idpMetadata({ ...IDP, certs: [keyPair('expired').cert, keyPair('idp').cert] }) },
  });
  t.is(mixed.status, 201, 'an expired certificate next to a current one is rotation, not an error');
  t.is(mixed.body.certificates.length, 1);
});

test('only admins manage connections', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  t.is((await app.request(school.slug, 'GET', '/api/v1/sso/connections', { token: teacher.token })).status, 403);
  const body = { metadata_xml: idpMetadata({ ...IDP, certs: [keyPair('idp').cert] }) };
  t.is((await app.request(school.slug, 'POST', '/api/v1/sso/connections', { token: teacher.token, body })).status, 403);
});

test('edify sso:configure, sso:list, sso:test and sso:remove', async (t) => {
  const slug = uniqueSlug('sso');
  t.is((await edify(['tenant:create', slug, '--name', 'SSO School', '--admin-email', `a@${slug}.test`, '--json'])).code, 0);
  const file = path.join(os.tmpdir(), `idp-${slug}.xml`);
  await writeFile(file, idpMetadata({ ...IDP, certs: [keyPair('idp').cert] }));
  const configured = await edify([
    'sso:configure',
    slug,
    '--metadata',
    file,
    '--name',
    'District',
    '--role-attribute',
    'eduPersonAffiliation',
    '--role-map',
    'faculty=teacher,student=student',
    '--domains',
    'district.test',
    '--json',
  ]);
  t.is(configured.code, 0, configured.stderr);
  t.like(configured.json, {
    name: 'District',
    role_attribute: 'eduPersonAffiliation',
    role_map: { faculty: 'teacher', student: 'student' },
    allowed_domains: ['district.test'],
  });
  const human = await edify(['sso:configure', slug, '--metadata', file]);
  t.regex(human.stdout, /ACS \(reply\) URL: +http:\/\/.*\/acs/);
  const list = await edify(['sso:list', slug, '--json']);
  t.is(list.json.length, 2);
  const check = await edify(['sso:test', slug, '--connection', configured.json.id]);
  t.regex(check.stdout, /No sign-in attempts yet/);
  await writeFile(file, 'not xml');
  const bad = await edify(['sso:configure', slug, '--metadata', file]);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /not XML/);
  t.is((await edify(['sso:remove', slug, configured.json.id, '--yes'])).code, 0);
  t.is((await edify(['sso:list', slug, '--json'])).json.length, 1);
});

test('single sign-on needs a plan that includes it', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const { testEnv } = await import('../helpers/env.ts');
  await testEnv().dbs.owner('tenants').where({ id: school.tenant.id }).update({ plan: 'starter' });
  const body = { metadata_xml: idpMetadata({ ...IDP, certs: [keyPair('idp').cert] }) };
  const refused = await app.request(school.slug, 'POST', '/api/v1/sso/connections', { token: school.admin.token, body });
  t.is(refused.status, 403);
  t.is(refused.body.type, 'https://edify.app/problems/plan-upgrade-required');
  await testEnv().dbs.owner('tenants').where({ id: school.tenant.id }).update({ plan: 'school' });
  t.is((await app.request(school.slug, 'POST', '/api/v1/sso/connections', { token: school.admin.token, body })).status, 201);
});
