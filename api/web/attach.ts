// Files on page forms (teacher attachments on homework and notices, a student's hand-in): the
// picker (api/web/assets/upload.js) uploads each file to the file service at once and the form
// posts the ids as `file_ids`. When a form comes back (a mistake, a preview) the files chosen so
// far come back with it, by name, so nothing has to be uploaded twice.
import { z } from 'zod';
import { accessibleBy } from '../access/query.ts';
import { FILE_FIELDS, StoredFile } from '../files/model.ts';
import type { Scope } from '../scope.ts';

export const fileIdsField = z.union([z.string().max(100), z.array(z.string().max(100)).max(20)]).optional();

/** The posted `file_ids` as a list (a single checkbox arrives as a string). */
export function fileIdList(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** The posted ids as the API's attachments input. */
export function fileAttachments(value: string | string[] | undefined): { file_id: string }[] {
  return fileIdList(value).map((file_id) => ({ file_id }));
}

/** The chosen files this person may see (their own uploads; admins all), by name, in the order
 * posted. Ids that are not uuids or not visible are left out. */
export async function pickedFiles(scope: Scope, value: string | string[] | undefined): Promise<{ file_id: string; name: string }[]> {
  const ids = fileIdList(value).filter((id) => z.uuid().safeParse(id).success);
  if (ids.length === 0) return [];
  const rows = await StoredFile.query(scope.db)
    .modify(accessibleBy(scope.ability, 'read', 'File', FILE_FIELDS))
    .whereIn('files.id', ids)
    .select('files.id', 'files.name');
  const byId = new Map(rows.map((r) => [r.id, r.name]));
  return ids.flatMap((id) => (byId.has(id) ? [{ file_id: id, name: byId.get(id) as string }] : []));
}

/** Field errors with the attachments' ones (`attachments.0.file_id`) under `files`, the picker. */
export function filesErrors(errors: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, message] of Object.entries(errors)) {
    const key = field.startsWith('attachments') ? 'files' : field;
    out[key] ??= key === 'files' ? `A file ${message}.` : message;
  }
  return out;
}
