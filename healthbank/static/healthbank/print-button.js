// A "Print" button (no inline handlers: the Content-Security-Policy forbids them).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
