// Lesson videos by link: YouTube and Vimeo are embedded through their privacy-enhanced players
// (youtube-nocookie.com; player.vimeo.com with dnt=1), which set no tracking cookies until
// played. Other hosts are refused unless the school allows them (settings.course_videos_any_host),
// and are then shown as a plain link, never embedded.
import { invalid } from '../errors.ts';
import type { Scope } from '../scope.ts';

const YT_ID = /^[A-Za-z0-9_-]{6,20}$/;

/** The embed address for a YouTube or Vimeo link; undefined for any other host. */
export function embedFor(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:') return undefined;
  const host = url.hostname
    .toLowerCase()
    .replace(/^www\./, '')
    .replace(/^m\./, '');
  const segments = url.pathname.split('/').filter(Boolean);
  let youtube: string | undefined;
  if (host === 'youtu.be') youtube = segments[0];
  else if (host === 'youtube.com' || host === 'youtube-nocookie.com') {
    if (segments[0] === 'watch') youtube = url.searchParams.get('v') ?? undefined;
    else if (segments[0] === 'embed' || segments[0] === 'shorts' || segments[0] === 'live') youtube = segments[1];
  }
  if (youtube !== undefined) return YT_ID.test(youtube) ? `https://www.youtube-nocookie.com/embed/${youtube}` : undefined;
  let vimeo: string | undefined;
  if (host === 'vimeo.com') vimeo = segments.find((s) => /^\d+$/.test(s));
  else if (host === 'player.vimeo.com' && segments[0] === 'video') vimeo = segments[1];
  if (vimeo !== undefined && /^\d{1,20}$/.test(vimeo)) return `https://player.vimeo.com/video/${vimeo}?dnt=1`;
  return undefined;
}

/** What to store for a lesson's video link, or a 422 for a host the school has not allowed. */
export function lessonVideo(scope: Scope, raw: string | null): { video_url: string | null; video_embed_url: string | null } {
  if (raw === null) return { video_url: null, video_embed_url: null };
  const embed = embedFor(raw);
  if (embed) return { video_url: raw, video_embed_url: embed };
  if (scope.tenant.settings.course_videos_any_host === true) return { video_url: raw, video_embed_url: null };
  throw invalid([
    {
      in: 'body',
      field: 'video_url',
      message: 'must be a YouTube or Vimeo link (other video sites are off for this school); or upload the video as an attachment',
    },
  ]);
}
