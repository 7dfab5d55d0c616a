// The passbook's small behaviours (CSP: no inline scripts). A "Detail" link with data-open-dialog opens
// the visit dialog; htmx fills it. Without JavaScript the link opens the visit's own page.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-open-dialog]");
    if (!link || !window.htmx) return;
    var dialog = document.getElementById(link.getAttribute("data-open-dialog"));
    if (!dialog || typeof dialog.showModal !== "function") return;
    event.preventDefault();
    dialog.returnFocusTo = link;
    if (!dialog.open) dialog.showModal();
  });
  document.addEventListener("close", function (event) {
    var dialog = event.target;
    if (dialog.returnFocusTo) dialog.returnFocusTo.focus();
  }, true);
})();
