// docs/permissions.md, "Notices" rows.
import type { FeatureRules } from '../access/ability.ts';

export const noticeRules: FeatureRules = (_builder, _actor) => {};
