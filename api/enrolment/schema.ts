import { z } from 'zod';

const instant = z.iso.datetime({ offset: true, message: 'must be a date and time like 2026-09-01T09:00:00Z' });

export const offeringInput = z
  .strictObject({
    self_enrol: z.boolean().describe('Listed in the catalogue, and students may enrol themselves.'),
    opens_at: instant.nullable().optional().describe('Enrolment opens (null: at once).'),
    closes_at: instant.nullable().optional().describe('Enrolment closes (null: never).'),
    cap: z.number().int().min(1).max(100_000).nullable().optional().describe('Most students enrolled at once (null: no cap).'),
    price_amount: z
      .number()
      .int()
      .min(50, 'must be at least 50 (0.50 in the currency): Stripe’s smallest charge')
      .max(100_000_00)
      .nullable()
      .optional()
      .describe('In the smallest currency unit (cents); null: free.'),
    currency: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[a-z]{3}$/, 'must be a three-letter currency code like usd')
      .nullable()
      .optional(),
  })
  .refine((v) => !v.opens_at || !v.closes_at || new Date(v.opens_at) < new Date(v.closes_at), {
    message: 'must be after opens_at',
    path: ['closes_at'],
  })
  .refine((v) => (v.price_amount == null) === (v.currency == null), { message: 'a price needs a currency, and a currency a price', path: ['currency'] });
export type OfferingInput = z.infer<typeof offeringInput>;

export const offeringState = z.enum(['open', 'not_open_yet', 'closed', 'full', 'not_offered']);
export type OfferingState = z.infer<typeof offeringState>;

export const offeringView = z.object({
  class_id: z.uuid(),
  name: z.string(),
  subject: z.string().nullable(),
  description: z.string().nullable(),
  self_enrol: z.boolean(),
  opens_at: z.string().nullable(),
  closes_at: z.string().nullable(),
  cap: z.number().nullable(),
  enrolled: z.number().describe('Students enrolled, plus places held by unfinished payments.'),
  places_left: z.number().nullable(),
  price: z.object({ amount: z.number(), currency: z.string() }).nullable(),
  state: offeringState.describe('Whether you could enrol now, and if not why (for everyone alike).'),
  you: z.enum(['enrolled', 'payment_pending', 'none']).describe('Whether you are on the roster already.'),
});
export type OfferingView = z.infer<typeof offeringView>;

export const accountInput = z.strictObject({
  stripe_account_id: z
    .string()
    .trim()
    .regex(/^acct_[A-Za-z0-9]{6,64}$/, 'must be a Stripe account id like acct_1Nv0FGQ9RKHgCVdK')
    .meta({ examples: ['acct_1Nv0FGQ9RKHgCVdK'] })
    .nullable(),
});

export const checkoutView = z.object({ url: z.string() });
