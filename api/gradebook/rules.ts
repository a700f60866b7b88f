// docs/permissions.md, "Gradebook" rows.
import type { FeatureRules } from '../access/ability.ts';

export const gradebookRules: FeatureRules = (_builder, _actor) => {};
