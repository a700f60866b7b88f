import { Args } from '@oclif/core';
import { listTenants } from '../../../api/platform/provision.ts';
import { pruneSamlState } from '../../../api/sso/prune.ts';
import { EdifyCommand } from '../../base.ts';

export default class SsoPrune extends EdifyCommand {
  static override summary = 'Delete expired SAML request ids and replay records (one school, or every school)';
  static override args = { slug: Args.string({ required: false, description: 'Only this school' }) };

  async run() {
    const { args } = await this.parse(SsoPrune);
    const config = this.loadConfig();
    const slugs = args.slug ? [args.slug] : (await listTenants((await this.database(config)).owner)).map((t) => t.slug);
    const total = { schools: slugs.length, requests: 0, replays: 0 };
    for (const slug of slugs) {
      const pruned = await this.inSchool(config, slug, { writes: true, allowReadOnly: true }, (scope) => pruneSamlState(scope));
      total.requests += pruned.requests;
      total.replays += pruned.replays;
    }
    this.log(`Deleted ${total.requests} expired SAML request(s) and ${total.replays} replay record(s) in ${total.schools} school(s).`);
    return total;
  }
}
