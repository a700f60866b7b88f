// Who may read a file: its uploader and admins (api/files/rules.ts), and whoever may read the
// record it is attached to, by that record's own rules. A file is therefore never more visible
// than the homework, submission, resource or notice it belongs to, and a hidden one is 404.
import { accessibleBy } from '../access/query.ts';
import { findCertificate } from '../courses/certificates.ts';
import { openLesson } from '../courses/progress.ts';
import { AppError, notFound } from '../errors.ts';
import { SUBMISSION_FIELDS, Submission } from '../homework/model.ts';
import { findHomework } from '../homework/service.ts';
import { findNotice } from '../notices/service.ts';
import { findResource } from '../resources/service.ts';
import type { Scope } from '../scope.ts';
import type { StoredFile } from './model.ts';
import { fileRulesAllow, findFile } from './service.ts';

/** The file if this person may download it; 404 otherwise (also for rejected files: no bytes). */
export async function readableFile(scope: Scope, id: string): Promise<StoredFile> {
  const file = await findFile(scope, id);
  if (file.status === 'rejected') throw notFound('The file');
  if (fileRulesAllow(scope, 'read', file)) return file;
  // Only clean (or knowingly unscanned) files can be attached, so only those are reached this way.
  if (file.attached_kind && file.attached_id && (await recordReadable(scope, file.attached_kind, file.attached_id))) return file;
  throw notFound('The file');
}

async function recordReadable(scope: Scope, kind: NonNullable<StoredFile['attached_kind']>, id: string): Promise<boolean> {
  try {
    switch (kind) {
      case 'homework':
        await findHomework(scope, id);
        return true;
      case 'resource':
        await findResource(scope, id);
        return true;
      case 'notice':
        await findNotice(scope, id);
        return true;
      case 'lesson':
        // A student's locked lesson keeps its files locked too (403 inside: not readable).
        await openLesson(scope, id);
        return true;
      case 'certificate':
        await findCertificate(scope, id);
        return true;
      case 'school':
        // The school's logo: public on its host anyway (GET /logo).
        return id === scope.tenant.id;
      case 'submission':
        return (
          (await Submission.query(scope.db)
            .modify(accessibleBy(scope.ability, 'read', 'Submission', SUBMISSION_FIELDS))
            .findOne({ 'submissions.id': id })) !== undefined
        );
    }
  } catch (error) {
    if (error instanceof AppError && (error.code === 'not-found' || error.code === 'forbidden')) return false;
    throw error;
  }
}
