import { Model } from 'objection';
import { column, type FieldMap } from '../access/query.ts';

export type FileStatus = 'pending' | 'clean' | 'rejected' | 'unscanned';
export type FilePurpose = 'documents' | 'images' | 'media';
export type AttachedKind = 'homework' | 'submission' | 'resource' | 'notice' | 'lesson' | 'certificate' | 'school';

export class StoredFile extends Model {
  static override tableName = 'files';
  declare tenant_id: string;
  declare id: string;
  declare uploaded_by: string | null;
  declare purpose: FilePurpose;
  declare name: string;
  declare content_type: string;
  /** bigint comes back from pg as a string. */
  declare size_bytes: string;
  declare sha256: string;
  declare storage_key: string;
  declare status: FileStatus;
  declare scan_result: string | null;
  declare scanned_at: Date | null;
  declare attached_kind: AttachedKind | null;
  declare attached_id: string | null;
  declare class_id: string | null;
  declare attached_at: Date | null;
  declare created_at: Date;
}

/** SQL for the rule fields in api/files/rules.ts. */
export const FILE_FIELDS = {
  uploadedBy: column('files.uploaded_by'),
} satisfies FieldMap;
