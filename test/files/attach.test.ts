// Files attached to homework, submissions, resources and notices: who attaches what, and who may
// then download it (the record's own rules decide), and signed download addresses.
import test from 'ava';
import type { Person } from '../helpers/factories.ts';
import { PDF, raw, upload } from '../helpers/files.ts';
import { homeworkWorld, inTables, type HomeworkWorld as World } from '../helpers/homework.ts';

async function uploaded(w: World, who: Person, name = 'work.pdf'): Promise<string> {
  const res = await upload(w.app, w.school.slug, who.token, { name, content: PDF });
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${res.text}`);
  return res.body.id;
}

const download = (w: World, who: Person, id: string) => raw(w.app, w.school.slug, 'GET', `/api/v1/files/${id}`, { token: who.token });

test('a student cannot download another student’s submission file by id; the teacher and the student’s guardian can', async (t) => {
  const w = await homeworkWorld();
  const hw = await w.setHomework();
  const file = await uploaded(w, w.sam, 'my answers.pdf');
  const turnedIn = await w.request(w.sam, 'PUT', `/api/v1/homework/${hw.id}/submission`, { attachments: [{ file_id: file }] });
  t.is(turnedIn.status, 200, turnedIn.text);
  t.deepEqual(turnedIn.body.attachments, [
    { name: 'my answers.pdf', url: `/api/v1/files/${file}`, content_type: 'application/pdf', size_bytes: PDF.length, file_id: file },
  ]);
  t.is((await download(w, w.sam, file)).status, 200);
  t.is((await download(w, w.teacher, file)).status, 200);
  t.is((await download(w, w.guardian, file)).status, 200);
  t.is((await download(w, w.admin, file)).status, 200);
  for (const outsider of [w.ada, w.olly, w.otherTeacher, w.otherGuardian]) t.is((await download(w, outsider, file)).status, 404);
  // Nor can a classmate take it over by attaching it to their own work.
  const stolen = await w.request(w.ada, 'PUT', `/api/v1/homework/${hw.id}/submission`, { attachments: [{ file_id: file }] });
  t.is(stolen.status, 422);
  t.is(stolen.body.errors[0].field, 'attachments.0.file_id');
  // Turning in again without it keeps it readable: the history still shows it.
  w.clock.set('2026-11-03T10:00:00Z');
  t.is((await w.request(w.sam, 'PUT', `/api/v1/homework/${hw.id}/submission`, { body: 'Typed instead' })).status, 200);
  t.is((await download(w, w.teacher, file)).status, 200);
  t.is((await download(w, w.ada, file)).status, 404);
});

test('homework files reach the students it is set for, once published; a file is attached once, and only when clean or allowed', async (t) => {
  const w = await homeworkWorld();
  const sheet = await uploaded(w, w.teacher, 'sheet.pdf');
  const draft = await w.request(w.teacher, 'POST', `/api/v1/classes/${w.maths.id}/homework`, {
    title: 'Draft',
    due_at: '2026-11-09T17:00:00Z',
    attachments: [{ file_id: sheet }, { name: 'Video', url: 'https://example.org/v' }],
  });
  t.is(draft.status, 201, draft.text);
  t.is(draft.body.attachments[1].url, 'https://example.org/v');
  t.is((await download(w, w.sam, sheet)).status, 404, 'a draft’s file stays hidden');
  t.is((await w.request(w.teacher, 'PATCH', `/api/v1/homework/${draft.body.id}`, { publish_at: 'now' })).status, 200);
  t.is((await download(w, w.sam, sheet)).status, 200);
  t.is((await download(w, w.guardian, sheet)).status, 200);
  t.is((await download(w, w.olly, sheet)).status, 404);

  const again = await w.request(w.teacher, 'POST', `/api/v1/classes/${w.maths.id}/homework`, {
    title: 'Other',
    due_at: '2026-11-09T17:00:00Z',
    attachments: [{ file_id: sheet }],
  });
  t.is(again.status, 422);
  t.regex(again.body.errors[0].message, /already attached/);
  // Re-saving the same homework with its own file is fine.
  t.is((await w.request(w.teacher, 'PATCH', `/api/v1/homework/${draft.body.id}`, { attachments: [{ file_id: sheet }] })).status, 200);
  // Another teacher cannot attach someone else's file, nor can the uploader delete an attached one.
  const mine = await uploaded(w, w.teacher);
  const foreign = await w.request(w.otherTeacher, 'POST', `/api/v1/classes/${w.history.id}/homework`, {
    title: 'X',
    due_at: '2026-11-09T17:00:00Z',
    attachments: [{ file_id: mine }],
  });
  t.is(foreign.status, 422);
  t.is((await w.request(w.teacher, 'DELETE', `/api/v1/files/${sheet}`)).status, 409);
  // The class's teacher may attach a file one of its students uploaded (a photo of work done in class).
  const photo = await uploaded(w, w.sam, 'photo.pdf');
  t.is((await w.request(w.teacher, 'PATCH', `/api/v1/homework/${draft.body.id}`, { attachments: [{ file_id: sheet }, { file_id: photo }] })).status, 200);
  t.is((await download(w, w.ada, photo)).status, 200);
  // A file still waiting for its scan cannot be attached.
  const waiting = await uploaded(w, w.teacher);
  await inTables(w.school, (db) => db('files').where({ id: waiting }).update({ status: 'pending' }));
  const pending = await w.request(w.teacher, 'PATCH', `/api/v1/homework/${draft.body.id}`, { attachments: [{ file_id: waiting }] });
  t.is(pending.status, 422);
  t.regex(pending.body.errors[0].message, /virus scan/);
});

test('resources and notices carry files; their readers download them, nobody else', async (t) => {
  const w = await homeworkWorld();
  const notes = await uploaded(w, w.teacher, 'notes.pdf');
  const resource = await w.request(w.teacher, 'POST', `/api/v1/classes/${w.maths.id}/resources`, {
    kind: 'file',
    title: 'Notes',
    attachment: { file_id: notes },
  });
  t.is(resource.status, 201, resource.text);
  t.is(resource.body.attachment.file_id, notes);
  const letter = await uploaded(w, w.teacher, 'letter.pdf');
  const notice = await w.request(w.teacher, 'POST', `/api/v1/classes/${w.maths.id}/notices`, {
    title: 'Trip',
    body: 'Letter attached',
    publish_at: 'now',
    attachments: [{ file_id: letter }],
  });
  t.is(notice.status, 201, notice.text);
  t.is(notice.body.attachments[0].file_id, letter);
  for (const id of [notes, letter]) {
    t.is((await download(w, w.sam, id)).status, 200);
    t.is((await download(w, w.guardian, id)).status, 200);
    t.is((await download(w, w.olly, id)).status, 404);
    t.is((await download(w, w.otherTeacher, id)).status, 404);
  }
});

test('a signed address works without credentials until it expires, and for its own file only', async (t) => {
  const w = await homeworkWorld();
  const a = await uploaded(w, w.sam, 'a.pdf');
  const b = await uploaded(w, w.sam, 'b.pdf');
  const signed = await w.get(w.sam, `/api/v1/files/${a}/url`);
  t.is(signed.status, 200);
  t.is(signed.body.expires_at, new Date(w.clock.now().getTime() + 300_000).toISOString());
  const url: string = signed.body.url;
  const ok = await raw(w.app, w.school.slug, 'GET', url);
  t.is(ok.status, 200);
  t.true(Buffer.from(ok.body).equals(PDF));
  t.is((await raw(w.app, w.school.slug, 'GET', url.replace(a, b))).status, 404, 'another file');
  t.is(
    (
      await raw(
        w.app,
        w.school.slug,
        'GET',
        url.replace(/expires=\d+/, (m) => `expires=${Number(m.slice(8)) + 3600}`),
      )
    ).status,
    404,
    'a longer expiry',
  );
  t.is((await w.get(w.ada, `/api/v1/files/${a}/url`)).status, 404, 'only readers get one');
  w.clock.set(new Date(w.clock.now().getTime() + 301_000).toISOString());
  t.is((await raw(w.app, w.school.slug, 'GET', url)).status, 403, 'expired');
});
