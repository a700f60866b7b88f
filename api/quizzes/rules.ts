// docs/permissions.md, "Quizzes" rows.
import type { FeatureRules } from '../access/ability.ts';

export const quizRules: FeatureRules = (_builder, _actor) => {};
