// Signup form enhancements (the form works without them): the subdomain is checked as it is typed
// (GET /api/v1/signup/subdomain), with the reason in words when it cannot be used; the time zone
// starts at the browser's own.
(() => {
  const zone = document.querySelector('select[data-guess]');
  if (zone && zone.value === 'UTC') {
    const mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (mine && [...zone.options].some((o) => o.value === mine)) zone.value = mine;
  }
  const input = document.querySelector('input[data-check]');
  const status = document.getElementById('subdomain-status');
  if (!input || !status) return;
  let timer;
  let asked = '';
  const check = async () => {
    const name = input.value.trim().toLowerCase();
    if (name === asked) return;
    asked = name;
    if (name.length === 0) {
      status.textContent = '';
      return;
    }
    try {
      const res = await fetch(`${input.dataset.check}?name=${encodeURIComponent(name)}`, { headers: { accept: 'application/json' } });
      if (!res.ok || name !== asked) return;
      const verdict = await res.json();
      status.textContent = verdict.available ? status.dataset.free.replace('{name}', verdict.subdomain) : verdict.message;
      status.className = verdict.available ? 'good' : 'field-error';
      input.setAttribute('aria-invalid', verdict.available ? 'false' : 'true');
    } catch {
      // Offline or refused: signup checks again when the form is sent.
    }
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  });
  input.addEventListener('blur', check);
})();
