import { Args, Flags } from '@oclif/core';
import { schoolUrl } from '../../../api/config.ts';
import { listConnections, presentConnection, recentAttempts } from '../../../api/sso/connections.ts';
import { EdifyCommand } from '../../base.ts';
import { inline, table } from '../../output.ts';

export default class SsoTest extends EdifyCommand {
  static override summary = 'Check a connection and show its last sign-in attempts with reasons';
  static override args = { slug: Args.string({ required: true }) };
  static override flags = { connection: Flags.string({ description: 'Connection id (default: every connection)' }) };

  async run() {
    const { args, flags } = await this.parse(SsoTest);
    const config = this.loadConfig();
    const report = await this.inSchool(config, args.slug, { writes: false }, async (scope) => {
      const connections = (await listConnections(scope)).filter((c) => !flags.connection || c.id === flags.connection);
      const out = [];
      for (const c of connections) out.push({ connection: presentConnection(c, schoolUrl(config, args.slug)), attempts: await recentAttempts(scope, c.id) });
      return out;
    });
    if (report.length === 0)
      this.error(flags.connection ? `No connection ${flags.connection} at ${args.slug}.` : `${args.slug} has no connections.`, { exit: 1 });
    for (const { connection, attempts } of report) {
      const soon = connection.certificates.filter((c) => new Date(c.expires_at).getTime() - Date.now() < 30 * 86_400_000);
      this.log(`${inline(connection.name)} (${connection.id}) ${connection.enabled ? 'enabled' : 'DISABLED'}`);
      this.log(`  IdP ${inline(connection.idp_entity_id)} → ${inline(connection.sso_url)}`);
      this.log(`  SP entity ID ${connection.sp_entity_id}, ACS ${connection.acs_url}`);
      if (soon.length) this.log(`  WARNING: ${soon.length} certificate(s) expire within 30 days: import fresh metadata`);
      this.log(
        attempts.length
          ? table(attempts.map((a) => ({ at: a.at, outcome: a.outcome, email: a.email ?? '', code: a.reason_code ?? '', reason: a.reason ?? '' })))
          : '  No sign-in attempts yet.',
      );
    }
    return report;
  }
}
