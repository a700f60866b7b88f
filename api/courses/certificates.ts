// Certificates: one per student and course (a unique key, so two completions racing issue one),
// with a code of 128 random bits that the public verification route looks up. The PDF is
// rendered by a job (api/courses/certificate-job.ts) queued in the same transaction as the
// certificate, so a certificate never exists without its job, and a rolled-back one queues none.
// Verification shows only the name, the course and the date, and says genuine, revoked or unknown.
import { randomBytes } from 'node:crypto';
import { accessibleBy } from '../access/query.ts';
import { audit } from '../audit/service.ts';
import { conflict, forbidden, notFound } from '../errors.ts';
import { enqueue } from '../jobs/outbox.ts';
import { actorUserId, now, type Scope } from '../scope.ts';
import { CERTIFICATE_FIELDS, Certificate, type Course } from './model.ts';
import type { CertificateView, VerificationView } from './schema.ts';
import { courseClass } from './service.ts';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** 26 characters of base32: 130 bits of which 128 are random. */
export function newCode(): string {
  const bytes = randomBytes(17);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < 26) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

export const verifyPath = (code: string) => `/verify/${code}`;

/** Inserts the student's certificate unless they have one; queues its PDF when it is new. */
export async function issueCertificate(scope: Scope, course: Course, studentId: string): Promise<string | undefined> {
  const student = (await scope.db('users').where({ id: studentId }).first('first_name', 'last_name')) as { first_name: string; last_name: string };
  const klass = (await scope.db('classes').where({ id: course.class_id }).first('name')) as { name: string };
  const inserted: { id: string }[] = await scope
    .db('certificates')
    .insert({
      tenant_id: scope.tenant.id,
      course_id: course.id,
      class_id: course.class_id,
      student_id: studentId,
      code: newCode(),
      student_name: `${student.first_name} ${student.last_name}`.trim(),
      course_title: course.title ?? klass.name,
      issued_at: now(scope),
    })
    .onConflict(['tenant_id', 'course_id', 'student_id'])
    .ignore()
    .returning('id');
  const id = inserted[0]?.id;
  if (!id) return undefined;
  await enqueue(scope, 'certificate-render', { certificate_id: id }, { singletonKey: `certificate:${id}` });
  await audit(scope, 'certificate.issued', { type: 'certificate', id }, { class_id: course.class_id, student_id: studentId });
  return id;
}

export function presentCertificate(c: Certificate): CertificateView {
  return {
    id: c.id,
    class_id: c.class_id,
    student_id: c.student_id,
    student_name: c.student_name,
    course_title: c.course_title,
    issued_at: new Date(c.issued_at).toISOString(),
    code: c.code,
    verify_path: verifyPath(c.code),
    pdf_url: c.file_id ? `/api/v1/files/${c.file_id}` : null,
    status: c.revoked_at ? 'revoked' : 'genuine',
    revoked_at: c.revoked_at ? new Date(c.revoked_at).toISOString() : null,
    revoke_reason: c.revoke_reason,
  };
}

export async function findCertificate(scope: Scope, id: string, action: 'read' | 'update' = 'read'): Promise<Certificate> {
  const found = await Certificate.query(scope.db)
    .modify(accessibleBy(scope.ability, action, 'Certificate', CERTIFICATE_FIELDS))
    .findOne({ 'certificates.id': id });
  if (found) return found;
  if (
    action !== 'read' &&
    (await Certificate.query(scope.db)
      .modify(accessibleBy(scope.ability, 'read', 'Certificate', CERTIFICATE_FIELDS))
      .findOne({ 'certificates.id': id }))
  ) {
    throw forbidden('Only the class’s teachers and admins revoke certificates.');
  }
  throw notFound('The certificate');
}

export async function listCertificates(scope: Scope, classId: string): Promise<Certificate[]> {
  // A class this person cannot see is a 404, not an empty list.
  await courseClass(scope, classId);
  return Certificate.query(scope.db)
    .modify(accessibleBy(scope.ability, 'read', 'Certificate', CERTIFICATE_FIELDS))
    .where('certificates.class_id', classId)
    .orderBy([{ column: 'certificates.issued_at', order: 'desc' }, 'certificates.id'])
    .limit(1000);
}

export async function revokeCertificate(scope: Scope, id: string, reason: string): Promise<Certificate> {
  const found = await findCertificate(scope, id, 'update');
  if (found.revoked_at) throw conflict('This certificate is already revoked.');
  const updated = await Certificate.query(scope.db).patchAndFetchById(found.id, {
    revoked_at: now(scope),
    revoked_by: actorUserId(scope.actor) ?? scope.tenant.id,
    revoke_reason: reason,
  });
  await audit(scope, 'certificate.revoked', { type: 'certificate', id: found.id }, { reason });
  return updated;
}

/** Anyone, signed in or not: what the code says, and nothing more. */
export async function verifyCertificate(scope: Scope, code: string): Promise<VerificationView> {
  const normal = code.trim().toLowerCase();
  if (!/^[a-z2-7]{26}$/.test(normal)) return { status: 'unknown' };
  const found = (await scope.db('certificates').where({ code: normal }).first('student_name', 'course_title', 'issued_at', 'revoked_at')) as
    | { student_name: string; course_title: string; issued_at: Date; revoked_at: Date | null }
    | undefined;
  if (!found) return { status: 'unknown' };
  return {
    status: found.revoked_at ? 'revoked' : 'genuine',
    name: found.student_name,
    course: found.course_title,
    date: schoolDate(scope, found.issued_at),
  };
}

/** The date in the school's time zone, YYYY-MM-DD. */
export function schoolDate(scope: Pick<Scope, 'tenant'>, at: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: scope.tenant.timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(at));
}
