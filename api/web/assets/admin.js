// Admin pages, as an enhancement (everything works without it): a file chosen in a
// [data-file-to-text] box is read into its textarea (a roster CSV, an IdP's metadata XML), and
// [data-copy] buttons copy the value of the element they name (the URLs to give the IdP).
(() => {
  for (const box of document.querySelectorAll('[data-file-to-text]')) {
    const input = box.querySelector('input[type="file"]');
    const target = document.getElementById(input.dataset.target);
    box.hidden = false;
    input.addEventListener('change', () => {
      const file = input.files?.[0];
      if (!file) return;
      file.text().then((text) => {
        target.value = text;
        target.dispatchEvent(new Event('input', { bubbles: true }));
      });
    });
  }
  for (const button of document.querySelectorAll('button[data-copy]')) {
    const source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) continue;
    // Only the visible word changes ("Copy" → "Copied"); the hidden rest of the name stays.
    const word = button.querySelector('[data-copy-label]') ?? button;
    const label = word.textContent;
    button.hidden = false;
    button.addEventListener('click', () => {
      navigator.clipboard.writeText(source.value ?? source.textContent).then(
        () => {
          word.textContent = button.dataset.copied || label;
          setTimeout(() => {
            word.textContent = label;
          }, 2000);
        },
        () => {
          source.select?.();
        },
      );
    });
  }
})();
