// A "Print" button without an inline handler (the Content-Security-Policy allows no inline script).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button.print-page").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
