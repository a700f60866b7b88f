// Teacher-written Markdown (homework instructions, notices, resource notes), rendered and
// sanitised on the server so every client shows the same safe HTML. Raw HTML in the source is
// escaped by the sanitiser's allow-list: no scripts, no event handlers, no javascript: links,
// no iframes or forms. Links open in a new tab without handing over window.opener.
import { Marked } from 'marked';
import sanitizeHtml from 'sanitize-html';
import { z } from 'zod';

/** Upper bound for any Markdown field: a long worksheet fits, 2 MB of pasted text does not. */
export const MARKDOWN_MAX = 100_000;

export const markdownSchema = z
  .string()
  .max(MARKDOWN_MAX, `must be at most ${MARKDOWN_MAX.toLocaleString('en')} characters`)
  .describe('Markdown (CommonMark + GitHub tables). Rendered and sanitised by the server; raw HTML is not kept.');

const marked = new Marked({ gfm: true, breaks: true, async: false });

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [
    ...['p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'code', 'span'],
    ...['strong', 'em', 'del', 's', 'sub', 'sup', 'ul', 'ol', 'li', 'a', 'img'],
    ...['table', 'thead', 'tbody', 'tr', 'th', 'td'],
    'input',
  ],
  allowedAttributes: {
    a: ['href', 'title', 'target', 'rel'],
    img: ['src', 'alt', 'title'],
    th: ['align'],
    td: ['align'],
    ol: ['start'],
    code: ['class'],
    // GitHub task lists render as disabled checkboxes.
    input: ['type', 'checked', 'disabled'],
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['https'] },
  allowedClasses: { code: [/^language-[\w-]+$/] },
  transformTags: {
    a: sanitizeHtml.simpleTransform('a', { target: '_blank', rel: 'noopener noreferrer nofollow' }),
    // Pasted HTML may carry an image without alt text: screen readers would read its address.
    img: (_tag, attribs) => ({ tagName: 'img', attribs: { ...attribs, alt: attribs.alt ?? '' } }),
    input: (_tag, attribs) => ({ tagName: 'input', attribs: { type: 'checkbox', disabled: '', ...(attribs.checked !== undefined ? { checked: '' } : {}) } }),
  },
  disallowedTagsMode: 'escape',
};

/** Safe HTML for a Markdown source; empty string for null or empty input. */
export function renderMarkdown(source: string | null | undefined): string {
  if (!source) return '';
  return sanitizeHtml(marked.parse(source) as string, SANITIZE).trim();
}

/** Plain text of a Markdown source (for search snippets and email previews). */
export function markdownToText(source: string | null | undefined): string {
  if (!source) return '';
  return sanitizeHtml(marked.parse(source) as string, { allowedTags: [], allowedAttributes: {} })
    .replace(/\s+/g, ' ')
    .trim();
}
