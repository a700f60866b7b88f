import { z } from 'zod';
import { attachmentsInput, attachmentView } from '../content/attachments.ts';
import { markdownSchema } from '../content/markdown.ts';
import { pageQuery } from '../content/pagination.ts';
import { publishAtInput } from '../content/school-time.ts';
import { atLeastOneField } from '../http/input.ts';
import { roleSchema } from '../users/schema.ts';

const title = z.string().trim().min(1, 'is required').max(200);
const body = markdownSchema.refine((v) => v.trim().length > 0, { message: 'is required' });

const publishAt = publishAtInput
  .optional()
  .describe(
    "When readers see it. Left out or null: a draft. 'now' or a time already past: published at once. A later time: scheduled. Without an offset, read in the school's time zone.",
  );

const flags = {
  important: z.boolean().optional().describe('Shown prominently; a later notification job may also push it.'),
  pinned: z.boolean().optional().describe('Pinned notices come first in lists.'),
};

export const createNoticeInput = z.strictObject({ title, body, ...flags, publish_at: publishAt, attachments: attachmentsInput.optional() });
export type CreateNoticeInput = z.infer<typeof createNoticeInput>;

export const updateNoticeInput = z
  .strictObject({ title: title.optional(), body: body.optional(), ...flags, publish_at: publishAt, attachments: attachmentsInput.optional() })
  .apply(atLeastOneField);
export type UpdateNoticeInput = z.infer<typeof updateNoticeInput>;

const flag = (what: string) =>
  z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe(what);

export const noticeListQuery = pageQuery.extend({
  class_id: z.uuid().optional().describe('Only this class’s notices.'),
  school_wide: flag('Only school-wide notices (true) or only class notices (false).'),
  important: flag('Only important (true) or only ordinary (false) notices.'),
  pinned: flag('Only pinned (true) or only unpinned (false) notices.'),
  status: z.enum(['draft', 'scheduled', 'published']).optional().describe('Students and guardians only ever see published notices.'),
});
export type NoticeListQuery = z.infer<typeof noticeListQuery>;

export const classNoticeListQuery = noticeListQuery.omit({ class_id: true, school_wide: true });

export const noticeView = z.object({
  id: z.uuid(),
  class_id: z.uuid().nullable().describe('null: school-wide'),
  title: z.string(),
  body: z.string().describe('Markdown source'),
  body_html: z.string().describe('Sanitised HTML of the body'),
  important: z.boolean(),
  pinned: z.boolean(),
  status: z.enum(['draft', 'scheduled', 'published']),
  publish_at: z.string().nullable().describe('ISO 8601, UTC'),
  publish_at_local: z.string().nullable().describe('publish_at on the school’s wall clock'),
  attachments: z.array(attachmentView),
  read: z.boolean().describe('Whether you have marked it read'),
  read_at: z.string().nullable(),
  created_by: z.uuid().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type NoticeView = z.infer<typeof noticeView>;

export const readReceiptView = z.object({ notice_id: z.uuid(), read_at: z.string() });

export const receiptsQuery = pageQuery.extend({
  read: flag('Only people who have read it (true) or who have not (false).'),
  role: roleSchema.optional().describe('Only people with this role (useful for school-wide notices).'),
});
export type ReceiptsQuery = z.infer<typeof receiptsQuery>;

const roleCount = z.object({ role: roleSchema, total: z.number().int(), read: z.number().int() });

export const receiptsView = z.object({
  notice_id: z.uuid(),
  audience: z.enum(['class', 'school']).describe('class: the enrolled students; school: every active person of the school'),
  summary: z.object({
    total: z.number().int(),
    read: z.number().int(),
    unread: z.number().int(),
    by_role: z.array(roleCount),
  }),
  data: z.array(
    z.object({
      user: z.object({ id: z.uuid(), first_name: z.string(), last_name: z.string(), email: z.string(), role: roleSchema }),
      read_at: z.string().nullable(),
    }),
  ),
  next_cursor: z.string().nullable(),
});
export type ReceiptsView = z.infer<typeof receiptsView>;
