// Conveniences only: every page works without this file.
"use strict";
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.search");
  const box = document.getElementById("q");
  if (!form || !box) return;
  // "/" jumps to the search box, as on many search sites
  document.addEventListener("keydown", (event) => {
    const typing = event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement;
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });
  // a new order or the "latest" box applies at once to the current search
  for (const id of ["sort", "recent"]) {
    const field = document.getElementById(id);
    if (field) {
      field.addEventListener("change", () => {
        if (box.value.trim()) form.requestSubmit();
      });
    }
  }
});
