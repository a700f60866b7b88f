// Live updates on every signed-in page: the unread count beside "Notifications" in the navigation,
// and new notifications announced (politely, for screen readers too) the moment they arrive over
// the event stream, without polling. The page works the same without it, by reload.
(() => {
  const badge = document.getElementById('inbox-count');
  const region = document.getElementById('live');
  if (!badge || !region || !window.EventSource) return;
  let unread = 0;
  const show = () => {
    badge.textContent = String(unread);
    badge.hidden = unread === 0;
  };
  fetch('/api/v1/me/notifications?unread=true&limit=1', { credentials: 'same-origin' })
    .then((res) => (res.ok ? res.json() : null))
    .then((box) => {
      if (box) {
        unread = box.unread_count;
        show();
      }
    })
    .catch(() => {});
  const stream = new EventSource('/api/v1/me/events');
  stream.addEventListener('notification', () => {
    unread += 1;
    show();
    region.textContent = region.dataset.message;
    region.hidden = false;
  });
})();
