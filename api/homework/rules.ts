// docs/permissions.md, "Homework" rows.
import type { FeatureRules } from '../access/ability.ts';

export const homeworkRules: FeatureRules = (_builder, _actor) => {};
