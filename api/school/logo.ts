// A school's logo: an image of the file service (uploaded with purpose `images`, its type decided
// from the bytes, virus-scanned) attached to the school itself (attached_kind 'school'). Only
// raster images: PNG, JPEG or WebP. SVG never reaches here (the file service refuses every type
// without a magic number, SVG included), and GIF, which it accepts as an image, is refused for a
// logo. The file's id and content hash sit in the school's settings (`settings.logo`), so each
// page shows the logo without a query and its address changes with its content:
// `/logo?v=<hash>`, public and cacheable on the school's host (api/school/routes.ts). Replacing or
// removing the logo detaches the old file, which the file cleanup then removes.
import { invalid } from '../errors.ts';
import { bindFiles, filesToAttach } from '../files/service.ts';
import type { Scope, Tenant } from '../scope.ts';

export const LOGO_TYPES: Record<string, string> = { 'image/png': 'PNG', 'image/jpeg': 'JPEG', 'image/webp': 'WebP' };

export type SchoolLogo = { file_id: string; sha256: string; content_type: string };

/** The logo recorded in the school's settings, if any. */
export function logoOf(tenant: Pick<Tenant, 'settings'>): SchoolLogo | null {
  const logo = tenant.settings?.logo as Partial<SchoolLogo> | undefined;
  if (!logo || typeof logo.file_id !== 'string' || typeof logo.sha256 !== 'string' || typeof logo.content_type !== 'string') return null;
  return { file_id: logo.file_id, sha256: logo.sha256, content_type: logo.content_type };
}

/** The logo's version in its address: changes whenever the image does. */
export const logoVersion = (logo: SchoolLogo): string => logo.sha256.slice(0, 16);

/** The logo's path on the school's host. */
export const logoPath = (logo: SchoolLogo): string => `/logo?v=${logoVersion(logo)}`;

/** Attaches the file as the school's logo (null: no logo), detaching the one before. Returns what
 * goes into the settings. The caller (updateSchool) has checked the person may change the school. */
export async function attachLogo(scope: Scope, fileId: string | null, field = 'logo_file_id'): Promise<SchoolLogo | null> {
  const target = { kind: 'school' as const, classId: null, id: scope.tenant.id };
  if (fileId === null) {
    await bindFiles(scope, [], target);
    return null;
  }
  const [file] = await filesToAttach(scope, [fileId], target, () => field);
  if (!file) throw invalid([{ in: 'body', field, message: 'is not a file of this school' }]);
  if (!LOGO_TYPES[file.content_type]) {
    const kind = (file.content_type.split('/')[1] ?? 'other').replace(/^.*\./, '').toUpperCase();
    throw invalid([
      { in: 'body', field, message: `must be a PNG, JPEG or WebP image (this one is ${kind.length <= 5 ? `a ${kind}` : 'another kind of file'})` },
    ]);
  }
  await bindFiles(scope, [file.id], target);
  return { file_id: file.id, sha256: file.sha256, content_type: file.content_type };
}
