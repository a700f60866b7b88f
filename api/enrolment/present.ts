// Rows → what a person sees of an offering.
import { now, type Scope } from '../scope.ts';
import type { OfferingView } from './schema.ts';
import { type OfferingRow, offeringState } from './service.ts';

const isoOrNull = (at: Date | string | null) => (at === null ? null : new Date(at).toISOString());

export function presentOffering(scope: Scope, row: OfferingRow): OfferingView {
  return {
    class_id: row.class_id,
    name: row.name,
    subject: row.subject,
    description: row.description,
    self_enrol: row.self_enrol,
    opens_at: isoOrNull(row.opens_at),
    closes_at: isoOrNull(row.closes_at),
    cap: row.cap,
    enrolled: row.taken,
    places_left: row.cap === null ? null : Math.max(0, row.cap - row.taken),
    price: row.price_amount !== null && row.currency !== null ? { amount: row.price_amount, currency: row.currency } : null,
    state: offeringState(row, now(scope)),
    you: row.you_enrolled ? 'enrolled' : row.you_pending ? 'payment_pending' : 'none',
  };
}

/** 1234 usd → "USD 12.34" (zero-decimal currencies such as JPY have no minor unit). */
export function formatPrice(amount: number, currency: string): string {
  const zeroDecimal = ['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf'].includes(currency);
  return `${currency.toUpperCase()} ${zeroDecimal ? String(amount) : (amount / 100).toFixed(2)}`;
}
