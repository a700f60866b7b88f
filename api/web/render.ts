// Handlebars pages: templates/pages/<name>.hbs inside templates/layouts/main.hbs. Words go
// through {{t}} so a school's language can change later without touching markup.
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';

const ROOT = new URL('../../templates/', import.meta.url);
const hbs = Handlebars.create();
const cache = new Map<string, HandlebarsTemplateDelegate>();

const WORDS: Record<string, string> = {
  'platform.tagline': 'Classes, homework, quizzes and notices for every school, on its own address.',
  'school.welcome': 'Welcome to',
  'school.signin': 'Sign in through the app or the API: POST /api/v1/auth/login.',
  'common.api': 'API reference (OpenAPI)',
  'sso.failed': 'Sign-in did not work',
  'sso.explain': 'Your sign-in came back from',
  'sso.for': 'but it could not be accepted',
  'sso.next': 'Try again from the start. If it keeps happening, tell your school’s IT administrator: they can see why in the single sign-on attempts list.',
  'sso.reference': 'Reference for your IT administrator:',
};
hbs.registerHelper('t', (key: string) => WORDS[key] ?? key);

function template(path: string): HandlebarsTemplateDelegate {
  let compiled = cache.get(path);
  if (!compiled) {
    compiled = hbs.compile(readFileSync(new URL(path, ROOT), 'utf8'), { strict: true });
    cache.set(path, compiled);
  }
  return compiled;
}

export function renderPage(name: string, data: Record<string, unknown>): string {
  const body = template(`pages/${name}.hbs`)(data);
  return template('layouts/main.hbs')({ ...data, body });
}
