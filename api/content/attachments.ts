// Attachments are references, not uploads: a name and an https address (a Drive link, a PDF on
// the school's site), or later the id of a file in Edify's own storage. The upload and storage
// service (scanning, quotas, signed download URLs) is a later issue; this is the seam it plugs
// into: it will add `file_id` and fill `url` when presenting. Stored as jsonb on the owning row.
import { z } from 'zod';

export const attachmentInput = z.strictObject({
  name: z.string().trim().min(1, 'is required').max(255),
  url: z.url({ protocol: /^https?$/, message: 'must be an http(s) address' }).max(2048),
  content_type: z.string().trim().max(255).optional(),
  size_bytes: z.number().int().min(0).optional(),
});
export type Attachment = z.infer<typeof attachmentInput>;

export const attachmentsInput = z.array(attachmentInput).max(20, 'at most 20 attachments');

export const attachmentView = z.object({
  name: z.string(),
  url: z.string(),
  content_type: z.string().optional(),
  size_bytes: z.number().optional(),
});

/** As stored (jsonb) → as presented. Unknown keys from older rows are dropped. */
export function presentAttachments(stored: unknown): Attachment[] {
  if (!Array.isArray(stored)) return [];
  return stored.flatMap((a) => {
    const parsed = attachmentInput.safeParse(a);
    return parsed.success ? [parsed.data] : [];
  });
}
