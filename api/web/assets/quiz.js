// Quiz taking: autosave every change through the API (with an increasing sequence, retried after
// a network blip so a late retry never overwrites a newer answer), a countdown from the server's
// deadline (seconds left when the page was made, measured on this page's monotonic clock, never
// the device's wall clock), submit when time is up, and a warning before leaving unsaved answers.
(() => {
  const form = document.getElementById('attempt');
  if (!form) return;
  const attempt = form.dataset.attempt;
  const csrf = form.dataset.csrf;
  const state = document.getElementById('save-state');
  const pending = new Map(); // question id -> { response, sequence }
  let inFlight = 0;
  let submitting = false;
  let sequence = Date.now() * 1000;

  const say = (text) => {
    if (state) state.textContent = text;
  };

  function responseOf(fieldset) {
    const type = fieldset.dataset.type;
    const inputs = [...fieldset.querySelectorAll('input, textarea')];
    const checked = inputs.filter((i) => i.checked).map((i) => i.value);
    switch (type) {
      case 'single_choice':
        return checked[0] ? { option_id: checked[0] } : null;
      case 'multiple_choice':
        return { option_ids: checked };
      case 'true_false':
        return checked[0] ? { value: checked[0] === 'true' } : null;
      case 'numeric': {
        const raw = inputs[0].value.trim().replace(',', '.');
        if (raw === '') return null;
        const n = Number(raw);
        return Number.isFinite(n) ? { value: n } : undefined;
      }
      default:
        return { text: inputs[0].value };
    }
  }

  async function send(questionId, attemptNo = 0) {
    const entry = pending.get(questionId);
    if (!entry) return;
    inFlight++;
    say('Saving…');
    try {
      const res = await fetch(`/api/v1/quiz-attempts/${attempt}/answers/${questionId}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify({ response: entry.response, sequence: entry.sequence }),
        credentials: 'same-origin',
      });
      if (res.status === 409) {
        say('Time is up: your saved answers were handed in.');
        pending.clear();
        window.location.reload();
        return;
      }
      if (!res.ok && res.status >= 500) throw new Error(`status ${res.status}`);
      // Only forget it if nothing newer was typed meanwhile.
      if (pending.get(questionId) === entry) pending.delete(questionId);
      if (!res.ok) say('That answer could not be saved. Check it and try again.');
      else if (pending.size === 0 && inFlight === 1) say('Saved');
    } catch {
      say('Not saved yet: checking the connection…');
      const delay = Math.min(10_000, 500 * 2 ** attemptNo);
      setTimeout(() => send(questionId, attemptNo + 1), delay);
    } finally {
      inFlight--;
    }
  }

  const timers = new Map();
  function changed(fieldset, wait) {
    const response = responseOf(fieldset);
    if (response === undefined) return; // not a number yet: saved once it is one
    const id = fieldset.dataset.question;
    pending.set(id, { response, sequence: ++sequence });
    clearTimeout(timers.get(id));
    timers.set(
      id,
      setTimeout(() => send(id), wait),
    );
  }

  form.addEventListener('change', (e) => {
    const fieldset = e.target.closest('fieldset[data-question]');
    if (fieldset) changed(fieldset, 0);
  });
  form.addEventListener('input', (e) => {
    const fieldset = e.target.closest('fieldset[data-question]');
    if (fieldset && (e.target.tagName === 'TEXTAREA' || e.target.type === 'text' || !e.target.type)) changed(fieldset, 800);
  });

  form.addEventListener('submit', (e) => {
    if (submitting) return;
    if (!window.confirm(form.dataset.confirm)) {
      e.preventDefault();
      return;
    }
    submitting = true;
  });
  window.addEventListener('beforeunload', (e) => {
    if (submitting || pending.size === 0) return;
    e.preventDefault();
    e.returnValue = form.dataset.unsaved;
  });

  const countdown = document.getElementById('countdown');
  if (countdown && countdown.dataset.secondsLeft !== '') {
    const startedWith = Number(countdown.dataset.secondsLeft);
    const endsAt = performance.now() + startedWith * 1000;
    let warned = false;
    const tick = () => {
      const left = Math.max(0, Math.round((endsAt - performance.now()) / 1000));
      countdown.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
      // Warn once, when the last minute begins (not on a quiz that starts with a minute or less).
      if (left === 60 && !warned && startedWith > 60) {
        warned = true;
        say('One minute left.');
      }
      if (left === 0) {
        say('Time is up: handing in your answers…');
        submitting = true;
        form.submit();
        return;
      }
      setTimeout(tick, 250);
    };
    tick();
  }
})();
