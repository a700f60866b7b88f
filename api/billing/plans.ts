// Plans come from configuration, not from code: a JSON file named by EDIFY_PLANS_FILE, or these
// defaults. Each plan names its Stripe price, its seats (null = unlimited) and its features.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const planSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  name: z.string(),
  stripe_price_id: z.string().min(1),
  seat_limit: z.number().int().positive().nullable(),
  storage_gb: z.number().positive(),
  /** Largest single upload in MB; left out: FILES_MAX_UPLOAD_MB (25). */
  max_upload_mb: z.number().positive().optional(),
  features: z.array(z.enum(['sso', 'priority_support'])).default([]),
});
export type Plan = z.infer<typeof planSchema>;

/** A plan id in a request. Plans are configuration, so the schema cannot list them; the marker
 * tells the OpenAPI document to list the running server's plan ids as this field's enum (the
 * handlers refuse any other id). */
export const PLAN_ID_MARK = 'x-edify-plan-id';
export const planIdInput = z
  .string()
  .min(1)
  .max(50)
  .meta({ [PLAN_ID_MARK]: true, description: 'One of the plans this server offers (the enum lists them).' });

export const DEFAULT_PLANS: Plan[] = [
  { id: 'starter', name: 'Starter', stripe_price_id: 'price_starter', seat_limit: 150, storage_gb: 20, features: [] },
  { id: 'school', name: 'School', stripe_price_id: 'price_school', seat_limit: 1200, storage_gb: 200, features: ['sso'] },
  { id: 'district', name: 'District', stripe_price_id: 'price_district', seat_limit: null, storage_gb: 2000, features: ['sso', 'priority_support'] },
];

export function loadPlans(file: string | undefined): Plan[] {
  if (!file) return DEFAULT_PLANS;
  const parsed = z
    .array(planSchema)
    .min(1)
    .safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file} is not a valid plan list: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return parsed.data;
}

export const planById = (plans: Plan[], id: string | null | undefined) => plans.find((p) => p.id === id);
export const planByPrice = (plans: Plan[], priceId: string | null | undefined) => plans.find((p) => p.stripe_price_id === priceId);

/** Whether the school's plan includes a feature. Schools without a plan (set up by operators,
 * not billed through Stripe) have every feature. */
export function planAllows(plans: Plan[], planId: string | null, feature: Plan['features'][number]): boolean {
  if (!planId) return true;
  return planById(plans, planId)?.features.includes(feature) ?? false;
}
