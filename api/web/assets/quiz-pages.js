// One question per screen (a form marked data-one-at-a-time): shows one question fieldset at a
// time with Previous / Next, remembers the place in the address (#q-3) so a reload comes back to
// it, and moves focus to the question shown. Every question stays in the form, so autosave
// (quiz.js) and handing in see all answers; without JavaScript all questions show on one page.
(() => {
  const form = document.querySelector('form[data-one-at-a-time]');
  if (!form) return;
  const questions = [...form.querySelectorAll('fieldset.question')];
  if (questions.length < 2) return;
  const nav = document.createElement('div');
  nav.className = 'question-nav';
  const previous = document.createElement('button');
  previous.type = 'button';
  previous.className = 'secondary';
  previous.textContent = 'Previous question';
  const where = document.createElement('span');
  where.setAttribute('aria-live', 'polite');
  const next = document.createElement('button');
  next.type = 'button';
  next.textContent = 'Next question';
  nav.append(previous, where, next);
  questions[questions.length - 1].after(nav);

  const fromHash = () => {
    const n = Number(/^#q-(\d+)$/.exec(window.location.hash)?.[1]);
    return Number.isInteger(n) && n >= 1 && n <= questions.length ? n - 1 : 0;
  };
  let current = -1;
  const show = (index, focus) => {
    current = index;
    questions.forEach((q, i) => {
      q.hidden = i !== index;
    });
    previous.disabled = index === 0;
    next.disabled = index === questions.length - 1;
    where.textContent = `Question ${index + 1} of ${questions.length}`;
    if (window.location.hash !== `#q-${index + 1}`) history.replaceState(null, '', `#q-${index + 1}`);
    if (focus) {
      questions[index].tabIndex = -1;
      questions[index].focus();
    }
  };
  previous.addEventListener('click', () => show(Math.max(0, current - 1), true));
  next.addEventListener('click', () => show(Math.min(questions.length - 1, current + 1), true));
  window.addEventListener('hashchange', () => show(fromHash(), true));
  show(fromHash(), false);
})();
