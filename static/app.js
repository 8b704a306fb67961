// stsbridge pages: copy buttons and the expiry countdown. Everything works without this file
// except those two conveniences (the CSP allows only same-origin scripts, never inline ones).
"use strict";

function copyText(id) {
  const el = document.getElementById(id);
  if (!el) return;
  const text = el.textContent;
  const status = document.getElementById("copy-status");
  const done = (ok) => {
    if (status) status.textContent = ok ? "Copied." : "Copy failed: select the text and copy it.";
    el.dataset.copied = ok ? "yes" : "no";
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(() => done(true), () => done(fallbackCopy(el)));
  } else {
    done(fallbackCopy(el));
  }
}

// http://127.0.0.1 is a secure context, but a plain-http host name is not: select and copy.
function fallbackCopy(el) {
  const range = document.createRange();
  range.selectNodeContents(el);
  const sel = window.getSelection();
  sel.removeAllRanges();
  sel.addRange(range);
  try { return document.execCommand("copy"); } catch (e) { return false; }
}

function tick(el) {
  const left = Math.floor((Date.parse(el.dataset.expires) - Date.now()) / 1000);
  if (isNaN(left)) return;
  if (left <= 0) { el.textContent = "(expired)"; return; }
  const h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
  el.textContent = "(" + (h ? h + " h " : "") + m + " min " + s + " s left)";
}

document.addEventListener("DOMContentLoaded", () => {
  for (const b of document.querySelectorAll("button[data-copy]")) {
    b.addEventListener("click", () => copyText(b.dataset.copy));
  }
  const c = document.getElementById("countdown");
  if (c) { tick(c); setInterval(() => tick(c), 1000); }
});
