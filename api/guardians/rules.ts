// docs/permissions.md, "Guardians" rows.
import type { FeatureRules } from '../access/ability.ts';

export const guardianRules: FeatureRules = (_builder, _actor) => {};
