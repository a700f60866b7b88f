import { readFile } from 'node:fs/promises';
import { Args, Flags } from '@oclif/core';
import { schoolUrl } from '../../../api/config.ts';
import { invalid } from '../../../api/errors.ts';
import { createConnection, presentConnection } from '../../../api/sso/connections.ts';
import { connectionSettings } from '../../../api/sso/schema.ts';
import { EdifyCommand } from '../../base.ts';

export default class SsoConfigure extends EdifyCommand {
  static override summary = 'Connect a school to a district IdP from its SAML metadata';
  static override description = 'Prints what to give the IdP: the SP entity ID and ACS URL (or the SP metadata URL). See docs/sso.md.';
  static override examples = [
    '<%= config.bin %> sso:configure lincoln --metadata idp-metadata.xml --name "Springfield District" --role-attribute eduPersonAffiliation --role-map faculty=teacher,staff=teacher,student=student --domains springfield.k12.us',
    '<%= config.bin %> sso:configure lincoln --metadata https://idp.district.org/metadata',
  ];
  static override args = { slug: Args.string({ required: true }) };
  static override flags = {
    metadata: Flags.string({ required: true, description: 'The IdP metadata: a file path or an https URL' }),
    name: Flags.string({ description: 'A name people recognise, e.g. the district' }),
    'role-attribute': Flags.string({ description: 'Assertion attribute that carries the role, e.g. eduPersonAffiliation' }),
    'role-map': Flags.string({ description: 'value=role pairs, comma-separated: faculty=teacher,student=student' }),
    'default-role': Flags.string({ options: ['deny', 'admin', 'teacher', 'student'], description: 'For unmapped people (default deny)' }),
    domains: Flags.string({ description: 'Comma-separated email domains this IdP may sign in' }),
    'email-attribute': Flags.string({ description: 'Attribute with the email (default: email, or the NameID)' }),
    'idp-initiated': Flags.boolean({ default: false, description: 'Accept logins started at the IdP' }),
  };

  async run() {
    const { args, flags } = await this.parse(SsoConfigure);
    const config = this.loadConfig();
    const xml = await this.readMetadata(flags.metadata);
    const roleMap = Object.fromEntries(
      (flags['role-map'] ?? '')
        .split(',')
        .filter(Boolean)
        .map((pair) => pair.split('=').map((p) => p.trim())),
    );
    const parsed = connectionSettings.safeParse({
      name: flags.name,
      role_attribute: flags['role-attribute'],
      role_map: flags['role-map'] ? roleMap : undefined,
      default_role: flags['default-role'],
      allowed_domains: flags.domains
        ?.split(',')
        .map((d) => d.trim())
        .filter(Boolean),
      attribute_map: flags['email-attribute'] ? { email: flags['email-attribute'] } : undefined,
      allow_idp_initiated: flags['idp-initiated'],
    });
    if (!parsed.success) throw invalid(parsed.error.issues.map((i) => ({ in: 'body', field: i.path.join('.'), message: i.message })));
    const connection = await this.inSchool(config, args.slug, { writes: true }, (scope) => createConnection(scope, xml, parsed.data));
    const view = presentConnection(connection, schoolUrl(config, args.slug));
    this.log(`Connected ${args.slug} to ${view.idp_entity_id} (${view.name}).`);
    this.log('Give the district IdP these values:');
    this.log(`  SP entity ID / audience:  ${view.sp_entity_id}`);
    this.log(`  ACS (reply) URL:          ${view.acs_url}`);
    this.log(`  or the SP metadata URL:   ${view.metadata_url}`);
    this.log(`People sign in at: ${view.login_url}`);
    return view;
  }

  private async readMetadata(source: string): Promise<string> {
    if (/^https?:\/\//.test(source)) {
      const response = await fetch(source, { signal: AbortSignal.timeout(10_000) }).catch((error: unknown) => {
        this.error(`Could not fetch ${source}: ${String(error)}`, { exit: 1 });
      });
      if (!response.ok) this.error(`Could not fetch ${source}: HTTP ${response.status}`, { exit: 1 });
      return response.text();
    }
    try {
      return await readFile(source, 'utf8');
    } catch (error) {
      this.error(`Cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { exit: 1 });
    }
  }
}
