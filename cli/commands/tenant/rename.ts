import { Args } from '@oclif/core';
import { REDIRECT_DAYS, renameTenant } from '../../../api/platform/renames.ts';
import { EdifyCommand, yesFlag } from '../../base.ts';

export default class TenantRename extends EdifyCommand {
  static override summary = 'Move a school to a new subdomain; the old one redirects there for 90 days';
  static override description =
    `The new subdomain follows the same rules as tenant:create (format, reserved names, look-alikes of other schools). The old address answers 308 to the same path at the new one for ${REDIRECT_DAYS} days, and nobody else can take it meanwhile. People sign in again at the new address (cookies belong to a host); a school with SAML sign-on must give its identity provider the new addresses (edify sso:list).`;
  static override examples = ['<%= config.bin %> tenant:rename lincoln lincoln-elementary'];
  static override args = { slug: Args.string({ required: true }), 'new-slug': Args.string({ required: true }) };
  static override flags = { yes: yesFlag };

  async run() {
    const { args, flags } = await this.parse(TenantRename);
    await this.confirm(`Move ${args.slug} to ${args['new-slug']}?`, args['new-slug'], flags.yes);
    const config = this.loadConfig();
    const dbs = await this.database(config);
    const result = await renameTenant(dbs.owner, args.slug, args['new-slug'], this.operator());
    this.log(`Moved ${result.from} to ${this.schoolUrl(config, result.tenant.slug)}; the old address redirects until ${result.redirect_until}.`);
    if (result.sso_connections > 0) {
      this.warn(
        `${result.tenant.slug} signs in with SAML (${result.sso_connections} connection(s)): its identity provider must be given the new entity ID and ACS address (edify sso:list ${result.tenant.slug}); sign-in through it fails until then.`,
      );
    }
    return {
      slug: result.tenant.slug,
      from: result.from,
      url: this.schoolUrl(config, result.tenant.slug),
      redirect_until: result.redirect_until,
      sso_connections: result.sso_connections,
    };
  }
}
