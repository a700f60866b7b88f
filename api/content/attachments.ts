// Attachments on homework, submissions, resources and notices: either a link (a name and an
// http(s) address: a Drive link, a PDF on the school's site), or a file uploaded to Edify
// (`{ file_id }`, api/files/). Stored as jsonb on the owning row: links exactly as they always
// were (so rows written before files existed read unchanged), files as their id with the name,
// type and size copied at attach time. Presented with `url` pointing at the download route.
import { z } from 'zod';
import { type AttachTarget, bindFiles, filesToAttach } from '../files/service.ts';
import type { Scope } from '../scope.ts';

export const linkAttachmentInput = z.strictObject({
  name: z.string().trim().min(1, 'is required').max(255),
  url: z.url({ protocol: /^https?$/, message: 'must be an http(s) address' }).max(2048),
  content_type: z.string().trim().max(255).optional(),
  size_bytes: z.number().int().min(0).optional(),
});
export type LinkAttachment = z.infer<typeof linkAttachmentInput>;

export const fileAttachmentInput = z.strictObject({
  file_id: z.uuid().describe('A file uploaded with POST /api/v1/files: clean (or unscanned where allowed), by you or (staff) for your class.'),
});

export const attachmentInput = z.union([fileAttachmentInput, linkAttachmentInput]);
export type AttachmentInput = z.infer<typeof attachmentInput>;

export const attachmentsInput = z.array(attachmentInput).max(20, 'at most 20 attachments');

/** As stored in jsonb. */
export type StoredFileAttachment = { file_id: string; name: string; content_type: string; size_bytes: number };
export type Attachment = LinkAttachment | StoredFileAttachment;

export const attachmentView = z.object({
  name: z.string(),
  url: z.string().describe('Links: the address. Files: /api/v1/files/{file_id} (or GET …/url for a signed address).'),
  content_type: z.string().optional(),
  size_bytes: z.number().optional(),
  file_id: z.uuid().optional().describe('Files uploaded to Edify only'),
});
export type AttachmentView = z.infer<typeof attachmentView>;

const storedFile = z.object({ file_id: z.uuid(), name: z.string(), content_type: z.string(), size_bytes: z.number() });

/** As stored (jsonb) → as presented. Unknown keys from older rows are dropped. */
export function presentAttachments(stored: unknown): AttachmentView[] {
  if (!Array.isArray(stored)) return [];
  return stored.flatMap((a): AttachmentView[] => {
    const file = storedFile.safeParse(a);
    if (file.success) {
      const f = file.data;
      return [{ name: f.name, url: `/api/v1/files/${f.file_id}`, content_type: f.content_type, size_bytes: f.size_bytes, file_id: f.file_id }];
    }
    const link = linkAttachmentInput.safeParse(a);
    return link.success ? [link.data] : [];
  });
}

export type ResolvedAttachments = { stored: Attachment[]; fileIds: string[] };

/** Checks the files among the inputs (api/files/service.ts filesToAttach) and turns the inputs
 * into what is stored. `field` names the body field for errors ('attachments' or 'attachment'). */
export async function resolveAttachments(scope: Scope, inputs: AttachmentInput[], target: AttachTarget, field: string): Promise<ResolvedAttachments> {
  const wanted = inputs.flatMap((a, i) => ('file_id' in a ? [{ id: a.file_id, i }] : []));
  const files = await filesToAttach(
    scope,
    wanted.map((w) => w.id),
    target,
    (n) => (field.endsWith('s') ? `${field}.${wanted[n]?.i}.file_id` : `${field}.file_id`),
  );
  const byId = new Map(files.map((f) => [f.id, f]));
  const stored = inputs.map((a): Attachment => {
    if (!('file_id' in a)) return a;
    const f = byId.get(a.file_id);
    if (!f) throw new Error('resolveAttachments: a checked file went missing');
    return { file_id: f.id, name: f.name, content_type: f.content_type, size_bytes: Number(f.size_bytes) };
  });
  return { stored, fileIds: [...new Set(wanted.map((w) => w.id))] };
}

/** After the owning row exists: marks its files as attached to it. */
export async function attachResolved(scope: Scope, resolved: ResolvedAttachments, target: Required<AttachTarget>): Promise<void> {
  await bindFiles(scope, resolved.fileIds, target);
}
