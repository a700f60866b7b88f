// A background course copy's page (/course-copies/:id): asks the API how far the copy has got
// every two seconds and reloads the page once it has finished (done or failed). Without
// JavaScript the page's "Check again" link does the same by hand.
(() => {
  const box = document.getElementById('copy-status');
  if (!box || !window.fetch) return;
  const id = box.dataset.copy;
  const bar = box.querySelector('progress');
  const poll = () =>
    fetch(`/api/v1/course-copies/${id}`, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then((res) => (res.ok ? res.json() : null))
      .then((copy) => {
        if (!copy) return;
        if (copy.status === 'done' || copy.status === 'failed') {
          window.location.reload();
          return;
        }
        if (bar) bar.value = copy.steps_done;
        setTimeout(poll, 2000);
      })
      .catch(() => setTimeout(poll, 5000));
  setTimeout(poll, 2000);
})();
