// docs/permissions.md, "Resources" rows.
import type { FeatureRules } from '../access/ability.ts';

export const resourceRules: FeatureRules = (_builder, _actor) => {};
