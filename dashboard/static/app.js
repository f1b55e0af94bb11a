// Small conveniences only; every page works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // Year pickers submit on change.
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  // Print buttons (hidden without JavaScript: the browser's own print command does the same).
  document.querySelectorAll("button[data-print]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  });
  // Jump to a finding's cell and make it flash, from the finding list or a #loc- link.
  const flash = (location) => {
    const target = document.getElementById("loc-" + location);
    if (!target) return;
    target.scrollIntoView({ behavior: "smooth", block: "center" });
    target.classList.remove("flash");
    void target.offsetWidth;
    target.classList.add("flash");
  };
  document.querySelectorAll("a.loc[data-target]").forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      flash(link.dataset.target);
    });
  });
  if (location.hash.startsWith("#loc-")) flash(decodeURIComponent(location.hash.slice(5)));
});
