// File picker with progress for forms: each chosen file is uploaded at once to the file service
// (POST /api/v1/files, checked and virus-scanned there), and the form carries the uploaded ids as
// `file_ids` checkboxes (ticked; without JavaScript, unticking one leaves it out). Each file has a
// "Remove" button: it leaves the file out of what the form sends, and a file uploaded on this page
// and not yet used anywhere is deleted from the file service too. The form's buttons stay disabled
// while a file is on its way.
(() => {
  // With JavaScript the picker replaces the plain one-file-at-a-time upload form.
  for (const shown of document.querySelectorAll('[data-picker]')) shown.hidden = false;
  for (const plain of document.querySelectorAll('form[data-plain-upload]')) plain.hidden = true;
  for (const input of document.querySelectorAll('input[type="file"][data-upload]')) {
    const form = input.form;
    const list = document.getElementById(input.dataset.list);
    const submits = form.querySelectorAll('button[type="submit"], button:not([type])');
    let busy = 0;
    const setBusy = (delta) => {
      busy += delta;
      for (const b of submits) b.disabled = busy > 0;
    };

    const addRemove = (item, name, fileId, fresh) => {
      const box = item.querySelector('input[name="file_ids"]');
      if (box) box.hidden = true;
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'secondary small';
      remove.textContent = 'Remove';
      remove.setAttribute('aria-label', `Remove ${name}`);
      remove.addEventListener('click', () => {
        item.remove();
        input.focus();
        // Only a file uploaded just now: one already handed in stays in the earlier version.
        if (fresh && fileId) {
          fetch(`/api/v1/files/${encodeURIComponent(fileId)}`, {
            method: 'DELETE',
            headers: { 'x-csrf-token': form.dataset.csrf },
            credentials: 'same-origin',
          }).catch(() => {});
        }
      });
      item.append(' ', remove);
    };

    for (const item of list.querySelectorAll('li')) {
      const box = item.querySelector('input[name="file_ids"]');
      if (box) addRemove(item, item.textContent.trim(), box.value, false);
    }

    input.addEventListener('change', () => {
      for (const file of input.files) {
        const item = document.createElement('li');
        const name = document.createElement('span');
        name.textContent = file.name;
        const progress = document.createElement('progress');
        progress.max = 100;
        progress.value = 0;
        progress.setAttribute('aria-label', `Uploading ${file.name}`);
        const status = document.createElement('span');
        status.setAttribute('role', 'status');
        item.append(name, ' ', progress, ' ', status);
        list.append(item);
        const body = new FormData();
        body.append('file', file);
        const xhr = new XMLHttpRequest();
        xhr.open('POST', `/api/v1/files?purpose=${encodeURIComponent(input.dataset.purpose || 'documents')}`);
        xhr.setRequestHeader('x-csrf-token', form.dataset.csrf);
        xhr.upload.addEventListener('progress', (e) => {
          if (e.lengthComputable) progress.value = Math.round((e.loaded / e.total) * 100);
        });
        setBusy(1);
        xhr.addEventListener('loadend', () => {
          setBusy(-1);
          progress.remove();
          let answer = {};
          try {
            answer = JSON.parse(xhr.responseText || '{}');
          } catch {}
          if (xhr.status === 201 && answer.id) {
            status.textContent = 'Uploaded';
            const box = document.createElement('input');
            box.type = 'checkbox';
            box.name = 'file_ids';
            box.value = answer.id;
            box.checked = true;
            item.append(box);
            addRemove(item, file.name, answer.id, true);
          } else {
            status.textContent = answer.detail || 'Could not upload this file. Try again.';
            item.classList.add('field-error');
          }
        });
        xhr.send(body);
      }
      input.value = '';
    });
  }
})();
