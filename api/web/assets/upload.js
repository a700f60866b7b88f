// File picker with progress for forms: each chosen file is uploaded at once to the file service
// (POST /api/v1/files, checked and virus-scanned there), and the form carries the uploaded ids as
// hidden `file_ids` fields. Hand-in stays disabled while a file is on its way.
(() => {
  for (const input of document.querySelectorAll('input[type="file"][data-upload]')) {
    const form = input.form;
    const list = document.getElementById(input.dataset.list);
    const submit = form.querySelector('button[type="submit"]');
    let busy = 0;
    const setBusy = (delta) => {
      busy += delta;
      if (submit) submit.disabled = busy > 0;
    };
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
            const hidden = document.createElement('input');
            hidden.type = 'hidden';
            hidden.name = 'file_ids';
            hidden.value = answer.id;
            item.append(hidden);
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
