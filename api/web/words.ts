// The words of the web pages, one place, so a school's language can change later without
// touching markup. `{name}` is filled from the helper's hash: {{t "dashboard.hello" name=viewer.first_name}}.
const WORDS: Record<string, string> = {
  'platform.tagline': 'Classes, homework, quizzes and notices for every school, on its own address.',
  'common.api': 'API reference (OpenAPI)',
  'common.skip': 'Skip to main content',
  'common.search': 'Search',
  'common.search_label': 'Search this school',
  'common.sign_out': 'Sign out',
  'common.home': 'Home',
  'common.back_home': 'Back to the start page',
  'common.nothing': 'Nothing here yet.',
  'common.due': 'Due {when}',
  'common.closes': 'Closes {when}',
  'common.overdue': 'Late',
  'common.school_wide': 'Whole school',
  'nav.home': 'Home',
  'nav.classes': 'Classes',
  'nav.grades': 'Grades',
  'nav.devices': 'My devices',

  'signin.title': 'Sign in',
  'signin.heading': 'Sign in to {school}',
  'signin.email': 'Email address',
  'signin.password': 'Password',
  'signin.submit': 'Sign in',
  'signin.forgot': 'Forgot your password?',
  'signin.or': 'or',
  'signin.with': 'Sign in with {name}',
  'signin.failed': 'That email and password did not match. Check them and try again.',
  'signin.signed_out': 'You are signed out.',

  'twofactor.heading': 'Two-step sign-in',
  'twofactor.explain': 'Open your authenticator app and type the 6-digit code for this school, or one of your recovery codes.',
  'twofactor.code': 'Code',
  'twofactor.submit': 'Continue',
  'twofactor.failed': 'That code did not work. Codes change every 30 seconds and work once.',

  'dashboard.title': 'Home',
  'dashboard.hello': 'Hello, {name}',
  'dashboard.due_soon': 'Due soon',
  'dashboard.open_quizzes': 'Quizzes open now',
  'dashboard.recent_grades': 'Recent grades',
  'dashboard.notices': 'Notices',
  'dashboard.needs_grading': 'To grade',
  'dashboard.upcoming': 'Coming up',
  'dashboard.recent_submissions': 'Just handed in',
  'dashboard.waiting': '{count} waiting',
  'dashboard.turned_in': '{count} handed in',
  'dashboard.score': '{score} / {points}',
  'dashboard.resume': 'Carry on',
  'dashboard.start': 'Start',
  'dashboard.child': '{name}',
  'dashboard.no_due': 'Nothing due. Well done!',
  'dashboard.no_quizzes': 'No quiz is open right now.',
  'dashboard.no_grades': 'No new grades.',
  'dashboard.no_notices': 'No notices.',
  'dashboard.no_grading': 'Nothing waiting to be graded.',
  'dashboard.no_upcoming': 'Nothing due in the next week.',
  'dashboard.no_submissions': 'No recent hand-ins.',
  'dashboard.no_children': 'No student is linked to your account yet. Ask the school office to link you.',
  'dashboard.important': 'Important',
  'dashboard.pinned': 'Pinned',
  'dashboard.unread': 'New',

  'error.title.not-found': 'Page not found',
  'error.title.forbidden': 'You can’t open this page',
  'error.title.rate-limited': 'Please wait a moment',
  'error.title.school-read-only': 'This school is read-only for now',
  'error.title.tenant-suspended': 'This school is paused',
  'error.title.default': 'Something went wrong',
  'error.retry': 'Try again in {seconds} seconds.',
  'error.reference': 'Reference: {id}',
};

export function phrase(key: string, vars: Record<string, unknown> = {}): string {
  const found = WORDS[key];
  if (found === undefined) return key;
  return found.replace(/\{(\w+)\}/g, (_, name: string) => (name in vars ? String(vars[name] ?? '') : `{${name}}`));
}

export function hasPhrase(key: string): boolean {
  return key in WORDS;
}
