import { Flags } from '@oclif/core';
import type Stripe from 'stripe';
import { loadPlans } from '../../../api/billing/plans.ts';
import { createBilling, requireBilling } from '../../../api/billing/stripe.ts';
import { handleEvent } from '../../../api/billing/webhooks.ts';
import { notFound } from '../../../api/errors.ts';
import { EdifyCommand } from '../../base.ts';
import { table } from '../../output.ts';

export default class BillingEvents extends EdifyCommand {
  static override summary = 'List stored Stripe webhook events, or replay one';
  static override flags = {
    failed: Flags.boolean({ default: false, description: 'Only events received but not processed' }),
    limit: Flags.integer({ default: 50, min: 1, max: 1000 }),
    replay: Flags.string({ description: 'Process this stored event again (e.g. after fixing a missing school)' }),
  };

  async run() {
    const { flags } = await this.parse(BillingEvents);
    const config = this.loadConfig();
    const dbs = await this.database(config);
    if (flags.replay) {
      const row = await dbs.owner('stripe_events').where({ id: flags.replay }).first('payload');
      if (!row) throw notFound(`The event ${flags.replay}`);
      await dbs.owner('stripe_events').where({ id: flags.replay }).update({ processed_at: null });
      const outcome = await handleEvent(
        dbs.owner,
        requireBilling(createBilling(config)),
        row.payload as Stripe.Event,
        loadPlans(config.plansFile),
        new Date(),
        undefined,
        config.billingGraceDays,
      );
      this.log(`Replayed ${flags.replay}: ${JSON.stringify(outcome)}`);
      return outcome;
    }
    const query = dbs.owner('stripe_events as e').leftJoin('tenants as t', 't.id', 'e.school_id').orderBy('e.received_at', 'desc').limit(flags.limit);
    if (flags.failed) query.whereNull('e.processed_at');
    const rows = await query.select('e.id', 'e.type', 't.slug', 'e.received_at', 'e.processed_at', 'e.error');
    const out = rows.map((r) => ({
      id: r.id,
      type: r.type,
      school: r.slug ?? null,
      received_at: new Date(r.received_at).toISOString(),
      processed: Boolean(r.processed_at),
      error: r.error,
    }));
    this.log(out.length ? table(out) : 'No events.');
    return out;
  }
}
