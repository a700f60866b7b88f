import { Args } from '@oclif/core';
import { schoolUrl } from '../../../api/config.ts';
import { listConnections, presentConnection } from '../../../api/sso/connections.ts';
import { EdifyCommand } from '../../base.ts';
import { table } from '../../output.ts';

export default class SsoList extends EdifyCommand {
  static override summary = 'List a school’s SAML connections';
  static override args = { slug: Args.string({ required: true }) };

  async run() {
    const { args } = await this.parse(SsoList);
    const config = this.loadConfig();
    const connections = await this.inSchool(config, args.slug, { writes: false }, (scope) => listConnections(scope));
    const views = connections.map((c) => presentConnection(c, schoolUrl(config, args.slug)));
    this.log(
      views.length
        ? table(
            views.map((v) => ({
              id: v.id,
              name: v.name,
              idp: v.idp_entity_id,
              enabled: v.enabled,
              certs_expire: v.certificates.map((c) => c.expires_at.slice(0, 10)).join(' '),
            })),
          )
        : 'No connections. Add one with `edify sso:configure`.',
    );
    return views;
  }
}
