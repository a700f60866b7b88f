// Server-side Markdown is what every client shows, so its sanitiser is the XSS boundary; school
// times are what due dates and quiz windows are read in.
import test from 'ava';
import { markdownToText, renderMarkdown } from '../../api/content/markdown.ts';
import { schoolTimeInput } from '../../api/content/school-time.ts';
import { utcToZonedTime, zonedTimeToUtc } from '../../tenants/timezone.ts';

test('Markdown renders to HTML without scripts, handlers or javascript: links', (t) => {
  const html = renderMarkdown(
    '# Plan\n\n**Read** ch. 3 <script>alert(1)</script> [x](javascript:alert(1)) [site](https://example.org)\n\n<img src=x onerror=alert(1)>\n\n| a | b |\n|---|---|\n| 1 | 2 |',
  );
  t.true(html.includes('<h1>Plan</h1>'));
  t.true(html.includes('<strong>Read</strong>'));
  t.true(html.includes('<table>'));
  t.false(/<script/i.test(html));
  t.false(/onerror/i.test(html));
  t.false(/javascript:/i.test(html));
  t.true(html.includes('<img src="x" alt="" />'), 'an image without alt text gets an empty one');
  t.true(html.includes('href="https://example.org" target="_blank" rel="noopener noreferrer nofollow"'));
  t.is(markdownToText('# Plan\n\n**Read** ch. 3'), 'Plan Read ch. 3');
  t.is(renderMarkdown(null), '');
});

test('a school wall-clock time becomes the right instant, across DST changes', (t) => {
  t.is(zonedTimeToUtc('2026-12-01T17:00', 'Europe/London').toISOString(), '2026-12-01T17:00:00.000Z');
  t.is(zonedTimeToUtc('2026-07-01T17:00', 'Europe/London').toISOString(), '2026-07-01T16:00:00.000Z');
  t.is(zonedTimeToUtc('2026-12-01T17:00', 'America/New_York').toISOString(), '2026-12-01T22:00:00.000Z');
  t.is(zonedTimeToUtc('2026-12-01T17:00', 'Asia/Kolkata').toISOString(), '2026-12-01T11:30:00.000Z');
  // 01:30 does not exist on 29 March in London: it moves forward by the gap.
  t.is(utcToZonedTime(zonedTimeToUtc('2026-03-29T01:30', 'Europe/London'), 'Europe/London'), '2026-03-29T02:30');
  // 01:30 happens twice on 25 October: the earlier one (still BST).
  t.is(zonedTimeToUtc('2026-10-25T01:30', 'Europe/London').toISOString(), '2026-10-25T00:30:00.000Z');
});

test('times that are not on the calendar are refused, not rolled over', (t) => {
  for (const bad of ['2026-13-01T10:00', '2026-02-30T10:00', '2026-02-28T25:00', '2026-02-30T10:00:00Z', 'tomorrow']) {
    t.false(schoolTimeInput.safeParse(bad).success, bad);
  }
  for (const good of ['2026-02-28T10:00', '2026-02-28T10:00:30', '2026-02-28T10:00:00Z', '2026-02-28T10:00:00+01:00']) {
    t.true(schoolTimeInput.safeParse(good).success, good);
  }
});
