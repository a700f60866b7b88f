// The `certificate-render` job: draws the certificate's PDF (api/courses/certificate-pdf.ts),
// stores it through the file service's storage with a files row attached to the certificate, and
// tells the student. The bytes are written with no transaction open; a retry after a crash finds
// file_id set and does nothing, and bytes written by a run that lost the race are removed.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { schoolUrl } from '../config.ts';
import { fileServices } from '../files/service.ts';
import type { Storage } from '../files/storage.ts';
import { inSchool, type WorkerDeps } from '../jobs/worker.ts';
import { notify } from '../notifications/service.ts';
import { logoOf } from '../school/logo.ts';
import { settingsOf } from '../school/service.ts';
import { now } from '../scope.ts';
import { CERTIFICATE_LOGO_TYPES, renderCertificatePdf } from './certificate-pdf.ts';
import { schoolDate, verifyPath } from './certificates.ts';
import { Certificate } from './model.ts';

export async function certificateJob(deps: WorkerDeps, data: { tenant_id: string; certificate_id: string }): Promise<void> {
  const prepared = await inSchool(deps, data.tenant_id, 'certificate-render', async (scope) => {
    const cert = await Certificate.query(scope.db).findOne({ id: data.certificate_id });
    if (!cert || cert.file_id) return undefined;
    const logo = logoOf(scope.tenant);
    const logoFile =
      logo && CERTIFICATE_LOGO_TYPES.has(logo.content_type)
        ? ((await scope.db('files').where({ id: logo.file_id, status: 'clean' }).first('storage_key', 'content_type', 'size_bytes')) as
            | { storage_key: string; content_type: 'image/png' | 'image/jpeg'; size_bytes: number }
            | undefined)
        : undefined;
    return {
      cert,
      logoFile,
      content: {
        school: scope.tenant.name,
        color: settingsOf(scope.tenant).color ?? undefined,
        name: cert.student_name,
        course: cert.course_title,
        date: schoolDate(scope, cert.issued_at),
        code: cert.code,
        verifyUrl: `${schoolUrl(deps.config, scope.tenant.slug)}${verifyPath(cert.code)}`,
      },
    };
  });
  if (!prepared) return;
  const { storage } = fileServices(deps.config.files);
  const logo = prepared.logoFile && prepared.logoFile.size_bytes <= MAX_LOGO_BYTES ? await readLogo(storage, prepared.logoFile) : undefined;
  const pdf = Buffer.from(await renderCertificatePdf({ ...prepared.content, ...(logo ? { logo } : {}) }));
  const key = `${data.tenant_id}/${randomBytes(18).toString('base64url')}`;
  await storage.put(key, Readable.from([pdf]), 'application/pdf');
  const recorded = await inSchool(deps, data.tenant_id, 'certificate-render', async (scope) => {
    const cert = (await scope
      .db('certificates')
      .where({ id: data.certificate_id })
      .forUpdate()
      .first('id', 'file_id', 'student_id', 'course_title', 'class_id')) as
      | { id: string; file_id: string | null; student_id: string; course_title: string; class_id: string }
      | undefined;
    if (!cert || cert.file_id) return false;
    const at = now(scope);
    const [file] = (await scope
      .db('files')
      .insert({
        tenant_id: scope.tenant.id,
        uploaded_by: null,
        purpose: 'documents',
        name: `Certificate - ${cert.course_title}.pdf`.slice(0, 255),
        content_type: 'application/pdf',
        size_bytes: pdf.length,
        sha256: createHash('sha256').update(pdf).digest('hex'),
        storage_key: key,
        // Made by Edify itself, not uploaded: nothing to scan.
        status: 'clean',
        scanned_at: at,
        attached_kind: 'certificate',
        attached_id: cert.id,
        class_id: cert.class_id,
        attached_at: at,
        created_at: at,
      })
      .returning('id')) as { id: string }[];
    await scope.db('certificates').where({ id: cert.id }).update({ file_id: file?.id });
    await notify(scope, schoolUrl(deps.config, scope.tenant.slug), [cert.student_id], {
      kind: 'certificate_issued',
      title: `Your certificate for ${cert.course_title}`,
      body: 'Well done! Your certificate is ready to download.',
      link: `/certificates/${cert.id}`,
      dedupe: `certificate:${cert.id}`,
    });
    return true;
  });
  if (!recorded) await storage.remove(key);
}

/** A logo larger than this is left off the certificate (logos are small; this bounds memory). */
const MAX_LOGO_BYTES = 2 * 1024 * 1024;

/** The logo's bytes from storage, or undefined when they cannot be read (the certificate is still owed). */
async function readLogo(storage: Storage, file: { storage_key: string; content_type: 'image/png' | 'image/jpeg' }) {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of await storage.get(file.storage_key)) chunks.push(Buffer.from(chunk));
    return { bytes: new Uint8Array(Buffer.concat(chunks)), type: file.content_type };
  } catch {
    return undefined;
  }
}
