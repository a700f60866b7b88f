import { z } from 'zod';
import { attachmentInput, attachmentView } from '../content/attachments.ts';
import { markdownSchema } from '../content/markdown.ts';
import { pageQuery } from '../content/pagination.ts';
import { atLeastOneField } from '../http/input.ts';

/** More than this many in one group (a topic, or the ungrouped resources) or topics in one
 * class would make the full-list reorder unwieldy; nobody needs it. */
export const MAX_PER_GROUP = 500;

const title = z.string().trim().min(1, 'is required').max(200);
const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) address' }).max(2048);
const description = markdownSchema.nullable().optional();
const topicId = z.uuid().nullable().optional().describe('The topic (unit) to put it in; null or left out: ungrouped. Goes to the end of that topic.');

const resourceCommon = { title, description, topic_id: topicId };

export const createResourceInput = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('link'), url: httpUrl, ...resourceCommon }),
  z.strictObject({
    kind: z.literal('file'),
    attachment: attachmentInput.describe('A file uploaded to Edify ({ file_id }), or a reference (name and http(s) address).'),
    ...resourceCommon,
  }),
]);
export type CreateResourceInput = z.infer<typeof createResourceInput>;

export const updateResourceInput = z
  .strictObject({
    title: title.optional(),
    description,
    topic_id: topicId.describe('Move it to this topic (null: ungrouped); it goes to the end there.'),
    url: httpUrl.optional().describe('Links only.'),
    attachment: attachmentInput.optional().describe('Files only.'),
  })
  .apply(atLeastOneField);
export type UpdateResourceInput = z.infer<typeof updateResourceInput>;

const uniqueIds = (max: number) =>
  z
    .array(z.uuid())
    .max(max)
    .refine((ids) => new Set(ids).size === ids.length, { message: 'lists an id more than once' });

export const resourceOrderInput = z.strictObject({
  topic_id: z.uuid().nullable().describe('The topic whose resources these are; null for the ungrouped ones.'),
  resource_ids: uniqueIds(MAX_PER_GROUP).describe('Every resource of that topic, exactly once, in the new order.'),
});
export type ResourceOrderInput = z.infer<typeof resourceOrderInput>;

export const topicInput = z.strictObject({ title });
export type TopicInput = z.infer<typeof topicInput>;

export const topicOrderInput = z.strictObject({
  topic_ids: uniqueIds(MAX_PER_GROUP).describe('Every topic of the class, exactly once, in the new order.'),
});

export const resourceListQuery = pageQuery.extend({
  topic_id: z
    .union([z.uuid(), z.literal('none')], { message: "must be a topic id, or 'none' for ungrouped resources" })
    .optional()
    .describe("Only this topic's resources; 'none' for the ungrouped ones. Left out: all, ungrouped first, then topic by topic."),
});
export type ResourceListQuery = z.infer<typeof resourceListQuery>;

export const resourceView = z.object({
  id: z.uuid(),
  class_id: z.uuid(),
  topic_id: z.uuid().nullable(),
  title: z.string(),
  description: z.string().nullable().describe('Markdown source'),
  description_html: z.string().describe('Sanitised HTML of the description'),
  kind: z.enum(['link', 'file']),
  url: z.string().nullable().describe('Links only'),
  attachment: attachmentView.nullable().describe('Files only'),
  position: z.number().int().describe('Order within its topic'),
  created_by: z.uuid().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ResourceView = z.infer<typeof resourceView>;

export const topicView = z.object({
  id: z.uuid(),
  class_id: z.uuid(),
  title: z.string(),
  position: z.number().int(),
  resource_count: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type TopicView = z.infer<typeof topicView>;
