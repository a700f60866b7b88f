// A certificate as a PDF: the Handlebars template templates/certificates/certificate.hbs gives
// the lines (kind|size|text), pdf-lib draws them centred on an A4 landscape page with a border in
// the school's colour. The standard PDF fonts only cover Latin-1 (WinAnsi): other characters are
// reduced to their base letter where one exists (é → é stays; Ł → L), else '?'. The school's logo
// (PNG or JPEG: PDF has no WebP) is drawn above the text.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import type { PDFFont } from 'pdf-lib';
import { lazy } from '../lazy.ts';
import { safeColor } from '../mail/mailer.ts';

export type CertificateContent = {
  school: string;
  color: string | undefined;
  name: string;
  course: string;
  date: string;
  code: string;
  verifyUrl: string;
  /** The school's logo, when it is a PNG or a JPEG. */
  logo?: { bytes: Uint8Array; type: 'image/png' | 'image/jpeg' };
};

/** The logo types a PDF can carry (PNG and JPEG; a WebP logo is left off the certificate). */
export const CERTIFICATE_LOGO_TYPES = new Set(['image/png', 'image/jpeg']);

let template: Handlebars.TemplateDelegate | undefined;
function certificateTemplate(): Handlebars.TemplateDelegate {
  template ??= Handlebars.create().compile(readFileSync(path.resolve(import.meta.dirname, '../../templates/certificates/certificate.hbs'), 'utf8'), {
    noEscape: true,
    strict: true,
  });
  return template;
}

function encodable(font: PDFFont, text: string): string {
  let out = '';
  for (const ch of text.replace(/[\r\n|]+/g, ' ')) {
    try {
      font.encodeText(ch);
      out += ch;
    } catch {
      const base = ch.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
      try {
        font.encodeText(base);
        out += base;
      } catch {
        out += '?';
      }
    }
  }
  return out;
}

const pdfLib = lazy(() => import('pdf-lib'));

function hexToRgb(rgb: typeof import('pdf-lib').rgb, hex: string) {
  const n = Number.parseInt(hex.slice(1), 16);
  return rgb(((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255);
}

export async function renderCertificatePdf(content: CertificateContent): Promise<Uint8Array> {
  const lines = certificateTemplate()(content)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => {
      const [kind, size, ...text] = l.split('|');
      return { kind: kind ?? 'text', size: Number(size) || 12, text: text.join('|') };
    });
  const { PDFDocument, rgb, StandardFonts } = await pdfLib();
  const doc = await PDFDocument.create();
  doc.setTitle(`Certificate: ${content.course}`.slice(0, 200));
  doc.setAuthor(content.school.slice(0, 200));
  doc.setCreator('Edify');
  const page = doc.addPage([842, 595]);
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const colour = hexToRgb(rgb, safeColor(content.color));
  page.drawRectangle({ x: 24, y: 24, width: 842 - 48, height: 595 - 48, borderColor: colour, borderWidth: 6 });
  let y = 595 - 90;
  if (content.logo) {
    // A damaged image must not cost the student their certificate: drawn without it instead.
    const image = await (content.logo.type === 'image/png' ? doc.embedPng(content.logo.bytes) : doc.embedJpg(content.logo.bytes)).catch(() => undefined);
    if (image) {
      const { width, height } = image.scaleToFit(160, 56);
      page.drawImage(image, { x: (842 - width) / 2, y: 595 - 48 - 16 - height, width, height });
      y -= height + 8;
    }
  }
  for (const line of lines) {
    if (line.kind === 'gap') {
      y -= line.size;
      continue;
    }
    const font = line.kind === 'name' || line.kind === 'heading' || line.kind === 'school' ? bold : regular;
    let size = line.size;
    const text = encodable(font, line.text);
    // Long names and titles shrink to fit the page.
    while (size > 8 && font.widthOfTextAtSize(text, size) > 842 - 120) size -= 1;
    const width = font.widthOfTextAtSize(text, size);
    page.drawText(text, {
      x: (842 - width) / 2,
      y,
      size,
      font,
      color: line.kind === 'school' ? colour : line.kind === 'small' ? rgb(0.3, 0.3, 0.3) : rgb(0, 0, 0),
    });
    y -= size * 1.6;
  }
  return doc.save();
}
