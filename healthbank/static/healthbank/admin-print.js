// Operator pages: a button with data-print prints the page (no inline script, so the CSP can forbid it).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
