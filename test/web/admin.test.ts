// The school office's pages in the browser: importing a roster with mistakes (every problem of
// every row shown, fixed, imported), the people actions, the school-wide classes view, the audit
// log with before and after, and that every admin page refuses everyone but admins.
import test from 'ava';
import type { Page } from 'playwright-core';
import { openContext, PHONE, schoolUrl, screenshot, scrollsSideways, seriousViolations, signIn } from '../helpers/browser.ts';
import { scene } from '../helpers/factories.ts';

const ADMIN_PAGES = ['/admin', '/admin/people', '/admin/people/import', '/admin/classes', '/admin/sign-on', '/admin/audit'];

test('every admin page refuses teachers, students and guardians (403), and sends a signed-out visitor to sign in', async (t) => {
  const { app, school, admin, teacher, student, guardian, get } = await scene({ people: { teacher: 'teacher', student: 'student', guardian: 'guardian' } });
  const person = `/admin/people/${student.id}`;
  for (const path of [...ADMIN_PAGES, person]) {
    for (const who of [teacher, student, guardian]) {
      const res = await get(who, path);
      t.is(res.status, 403, `${who.role} GET ${path}`);
    }
    const asAdmin = await get(admin, path);
    t.is(asAdmin.status, 200, `admin GET ${path}`);
    const anonymous = await get(null, path);
    t.is(anonymous.status, 303, `signed out GET ${path}`);
  }
  // The actions too: a teacher cannot deactivate anyone through the page (a form post, not JSON).
  const post = await app.request(school.slug, 'POST', `/admin/people/${student.id}/status`, {
    token: teacher.token,
    raw: 'status=deactivated',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  t.is(post.status, 403);
  const still = await get(admin, `/api/v1/users/${student.id}`);
  t.is(still.body.status, 'active');
  // The navigation offers "Admin" to admins only.
  const teacherHome = await get(teacher, '/');
  t.notRegex(teacherHome.text, /href="\/admin"/);
  const adminHome = await get(admin, '/');
  t.regex(adminHome.text, /href="\/admin"/);
});

/** The cells of the import report: line → column → text. */
async function reportCells(page: Page): Promise<Record<string, Record<string, string>>> {
  return page.evaluate(() => {
    const table = document.querySelector('table.report');
    if (!table) return {};
    const columns = [...table.querySelectorAll('thead th')].map((th) => th.textContent?.trim() ?? '');
    const out: Record<string, Record<string, string>> = {};
    for (const row of table.querySelectorAll('tbody tr')) {
      const cells = [...row.children].map((c) => (c as HTMLElement).innerText.trim());
      const line = cells[0] ?? '';
      out[line] = {};
      cells.slice(1).forEach((text, i) => {
        if (text) (out[line] as Record<string, string>)[columns[i + 1] ?? ''] = text;
      });
    }
    return out;
  });
}

test('an admin imports a roster with mistakes: sees every problem of every row, fixes them and imports', async (t) => {
  const { app, school, admin, taken, klass, get } = await scene({
    people: { taken: 'teacher' },
    classes: { klass: { name: 'Year 5 Science' } },
    school: { name: 'Lincoln Elementary' },
  });
  const code = (await get(admin, `/api/v1/classes/${klass.id}`)).body.join_code as string;
  const home = schoolUrl(app.port, school.slug);
  const context = await openContext();
  const page = await context.newPage();
  await signIn(page, home, admin);
  await page.getByRole('link', { name: 'Admin' }).click();
  t.deepEqual(await seriousViolations(page), [], 'the hub');
  await screenshot(page, 'admin-hub');
  await page.getByRole('link', { name: 'People' }).click();
  await page.getByRole('link', { name: 'Import a roster (CSV)' }).click();

  const broken = [
    'email,first_name,last_name,role,class_codes',
    `amy@roster.test,Amy,Adams,student,${code}`,
    'not-an-email,,Brown,pupil,NOPE999',
    `${taken.email},Tess,,teacher,`,
    'amy@roster.test,Amy,Again,student,',
  ].join('\n');
  // The file picker (JavaScript) fills the text box; the page works by pasting too.
  await page.getByLabel('CSV file').setInputFiles({ name: 'roster.csv', mimeType: 'text/csv', buffer: Buffer.from(broken) });
  await page.waitForFunction(() => (document.getElementById('csv') as HTMLTextAreaElement).value.includes('not-an-email'));
  await page.getByRole('button', { name: 'Check the roster' }).click();
  await page.waitForSelector('table.report');
  t.regex(await page.getByRole('alert').first().innerText(), /7 problems in 3 rows\. Nothing was imported/);
  const cells = await reportCells(page);
  t.deepEqual(Object.keys(cells).sort(), ['3', '4', '5']);
  t.regex(cells['3']?.email ?? '', /not-an-email\s+must be an email address/);
  t.regex(cells['3']?.first_name ?? '', /is required/);
  t.regex(cells['3']?.role ?? '', /pupil\s+must be teacher or student/);
  t.regex(cells['3']?.class_codes ?? '', /no class has the code NOPE999/);
  t.regex(cells['4']?.email ?? '', /already uses this address/);
  t.regex(cells['4']?.last_name ?? '', /is required/);
  t.regex(cells['5']?.email ?? '', /repeats line 2/);
  t.false(await page.getByRole('button', { name: 'Import', exact: true }).isVisible(), 'no import until the roster is clean');
  t.deepEqual(await seriousViolations(page), [], 'the report');
  await screenshot(page, 'admin-import-errors');
  await page.setViewportSize(PHONE);
  t.false(await scrollsSideways(page), 'the report scrolls inside its own box on a phone');
  await screenshot(page, 'admin-import-errors-phone');
  await page.setViewportSize({ width: 1280, height: 800 });

  const fixed = [
    'email,first_name,last_name,role,class_codes',
    `amy@roster.test,Amy,Adams,student,${code}`,
    `bo@roster.test,Bo,Brown,student,${code}`,
    'tess@roster.test,Tess,Taylor,teacher,',
  ].join('\n');
  await page.getByLabel('Roster (CSV)').fill(fixed);
  await page.getByRole('button', { name: 'Check the roster' }).click();
  await page.getByText('All 3 rows are ready to import.', { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.waitForURL(/\/admin\/people\?done=imported/);
  t.regex(await page.getByRole('status').first().innerText(), /3 people imported/);
  const roster = await get(admin, `/api/v1/classes/${klass.id}/people`);
  t.deepEqual(roster.body.data.map((p: { first_name: string }) => p.first_name).sort(), ['Amy', 'Bo']);

  // Search and filters over the list.
  await page.getByLabel('Search by name or email').fill('brown');
  await page.getByRole('button', { name: 'Show' }).click();
  t.deepEqual(await page.locator('tbody th').allInnerTexts(), ['Bo Brown']);
  await page.getByLabel('Search by name or email').fill('');
  await page.getByLabel('Status').selectOption('invited');
  await page.getByRole('search', { name: 'People' }).getByLabel('Role').selectOption('teacher');
  await page.getByRole('button', { name: 'Show' }).click();
  t.deepEqual(await page.locator('tbody th').allInnerTexts(), ['Tess Taylor']);
  t.deepEqual(await seriousViolations(page), [], 'the people list');
  await screenshot(page, 'admin-people');

  // Inviting one more person by hand; a mistake comes back on its field with the input kept.
  const invite = page.getByRole('region', { name: 'Invite someone' });
  await invite.getByLabel('Email address').fill('amy@roster.test');
  await invite.getByLabel('First name').fill('Amy');
  await invite.getByLabel('Last name').fill('Twice');
  await invite.getByRole('button', { name: 'Send the invitation' }).click();
  t.regex(await page.locator('#email-error').innerText(), /already uses that email/);
  t.is(await page.getByRole('region', { name: 'Invite someone' }).getByLabel('Last name').inputValue(), 'Twice');
  await page.getByRole('region', { name: 'Invite someone' }).getByLabel('Email address').fill('cy@roster.test');
  await page.getByRole('region', { name: 'Invite someone' }).getByLabel('Role').selectOption('teacher');
  await page.getByRole('region', { name: 'Invite someone' }).getByRole('button', { name: 'Send the invitation' }).click();
  await page.getByText('Invitation sent.', { exact: true }).waitFor();
  t.is(await page.getByRole('heading', { level: 1 }).innerText(), 'Amy Twice');
  await context.close();
});

test('people actions: role, deactivate and reactivate, sign out everywhere, unpause, guardians; then the audit log shows the role change', async (t) => {
  const { app, school, admin, teacher, student, guardian, get } = await scene({
    people: {
      teacher: { role: 'teacher', first_name: 'Tom', last_name: 'Teach' },
      student: { role: 'student', first_name: 'Sam', last_name: 'Study' },
      guardian: { role: 'guardian', first_name: 'Gail', last_name: 'Guard' },
    },
    school: { name: 'Lincoln Elementary' },
  });
  const home = schoolUrl(app.port, school.slug);
  const context = await openContext();
  const page = await context.newPage();
  await signIn(page, home, admin);

  await page.goto(schoolUrl(app.port, school.slug, `/admin/people/${teacher.id}`));
  t.deepEqual(await seriousViolations(page), [], 'a person');
  await page.getByLabel('Change role').selectOption('admin');
  await page.getByRole('button', { name: 'Save role' }).click();
  await page.getByText('Role changed.', { exact: true }).waitFor();
  t.is((await get(admin, `/api/v1/users/${teacher.id}`)).body.role, 'admin');

  await page.getByRole('button', { name: 'Deactivate' }).click();
  await page.getByText('Deactivated and signed out.', { exact: true }).waitFor();
  t.is((await get(teacher, '/api/v1/me')).status, 401, 'their sessions ended');
  await page.getByRole('button', { name: 'Reactivate' }).click();
  await page.getByText('Reactivated.', { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Unpause sign-in' }).click();
  await page.getByText('Sign-in unpaused.', { exact: true }).waitFor();
  t.is((await get(admin, `/api/v1/users/${teacher.id}`)).body.status, 'active');

  await page.goto(schoolUrl(app.port, school.slug, `/admin/people/${student.id}`));
  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await page.getByText('Signed out everywhere.', { exact: true }).waitFor();
  t.is((await get(student, '/api/v1/me')).status, 401);

  // Guardians: an existing one by email, and a mistake shown on the form.
  await page.getByLabel('Email address').fill('not an email');
  await page.getByRole('button', { name: 'Link guardian' }).click();
  t.regex(await page.locator('#email-error').innerText(), /email address/);
  await page.getByLabel('Email address').fill(guardian.email);
  await page.getByLabel('First name').fill('Gail');
  await page.getByLabel('Last name').fill('Guard');
  await page.getByLabel('Relationship (optional)').fill('mother');
  await page.getByRole('button', { name: 'Link guardian' }).click();
  await page.getByText('Guardian linked.', { exact: true }).waitFor();
  t.regex(await page.getByRole('region', { name: 'Guardians' }).innerText(), /Gail Guard \(mother\)/);
  t.deepEqual(await seriousViolations(page), [], 'a student with a guardian');
  await screenshot(page, 'admin-person');
  await page.getByRole('button', { name: 'Unlink Gail Guard' }).click();
  await page.getByText('Guardian unlinked.', { exact: true }).waitFor();
  t.is((await get(admin, `/api/v1/users/${student.id}/guardians`)).body.data.length, 0);

  // An admin cannot demote or deactivate themselves: the page has no such buttons.
  await page.goto(schoolUrl(app.port, school.slug, `/admin/people/${admin.id}`));
  t.false(await page.getByRole('button', { name: 'Deactivate' }).isVisible());

  // The audit log: by action, with the role's before and after, and by person.
  await page.goto(schoolUrl(app.port, school.slug, '/admin/audit'));
  await page.getByLabel('Action').fill('user.role_changed');
  await page.getByRole('button', { name: 'Show' }).click();
  const rows = await page.locator('tbody tr').allInnerTexts();
  t.is(rows.length, 1);
  t.regex(rows[0] ?? '', /Ada Admin.*user\.role_changed.*Tom Teach.*teacher → admin/s);
  t.deepEqual(await seriousViolations(page), [], 'the audit log');
  await screenshot(page, 'admin-audit');
  await page.getByLabel('Action').fill('');
  await page.getByLabel('Person (email)').fill('nobody@nowhere.test');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.getByText('No one at this school has that email address.', { exact: true }).waitFor();
  await context.close();
});

test('the school-wide classes view lists teachers and roster sizes, and archives a class', async (t) => {
  const { app, school, admin } = await scene({
    people: { teacher: { role: 'teacher', first_name: 'Tom', last_name: 'Teach' }, a: 'student', b: 'student' },
    classes: {
      science: { name: 'Year 5 Science', teachers: ['teacher'], students: ['a', 'b'] },
      art: { name: 'Art club' },
    },
  });
  const context = await openContext();
  const page = await context.newPage();
  await signIn(page, schoolUrl(app.port, school.slug), admin);
  await page.goto(schoolUrl(app.port, school.slug, '/admin/classes'));
  const rows = await page.locator('tbody tr').allInnerTexts();
  t.is(rows.length, 2);
  t.regex(rows[1] ?? '', /Year 5 Science\s+Tom Teach\s+2/);
  t.deepEqual(await seriousViolations(page), []);
  await screenshot(page, 'admin-classes');
  await page.getByRole('button', { name: 'Archive Art club' }).click();
  await page.getByText('Class archived.', { exact: true }).waitFor();
  t.is(await page.locator('tbody tr').count(), 1);
  await page.getByRole('link', { name: 'Archived' }).click();
  t.regex(await page.locator('tbody').innerText(), /Art club/);
  await context.close();
});
