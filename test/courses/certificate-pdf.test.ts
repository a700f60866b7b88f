// The certificate PDF carries the school's logo when it has one a PDF can hold (PNG, JPEG), and is
// still made when the logo cannot be drawn.
import test from 'ava';
import { PDFDict, PDFDocument, PDFName } from 'pdf-lib';
import { renderCertificatePdf } from '../../api/courses/certificate-pdf.ts';
import { PNG } from '../helpers/files.ts';

const content = {
  school: 'Lincoln Elementary',
  color: '#1d4ed8',
  name: 'Ada Lovelace',
  course: 'Summer reading',
  date: '1 December 2026',
  code: 'ABCD-EFGH-JKLM',
  verifyUrl: 'http://lincoln.localhost:3000/verify/ABCD-EFGH-JKLM',
};

async function images(bytes: Uint8Array): Promise<number> {
  const doc = await PDFDocument.load(bytes);
  const xobjects = doc.getPage(0).node.Resources()?.lookup(PDFName.of('XObject'));
  return xobjects instanceof PDFDict ? xobjects.keys().length : 0;
}

test('the school’s PNG logo is drawn on the certificate', async (t) => {
  t.is(await images(await renderCertificatePdf(content)), 0);
  t.is(await images(await renderCertificatePdf({ ...content, logo: { bytes: new Uint8Array(PNG), type: 'image/png' } })), 1);
});

test('a logo that cannot be drawn leaves it off; the certificate is still made', async (t) => {
  const pdf = await renderCertificatePdf({ ...content, logo: { bytes: new Uint8Array([1, 2, 3]), type: 'image/jpeg' } });
  t.is(Buffer.from(pdf.slice(0, 5)).toString(), '%PDF-');
  t.is(await images(pdf), 0);
});
