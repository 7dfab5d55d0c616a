// The passbook's small behaviours (CSP: no inline scripts). A "Detail" link with data-open-dialog opens
// the visit dialog; htmx fills it. Without JavaScript the link opens the visit's own page.
// The download page's "Tick all" ticks every data category.
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
  // A "Tick all" button (data-tick="<input name>") ticks every box of that name in its form; pressed again
  // when all are ticked, it clears them.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-tick]");
    if (!button) return;
    var form = button.closest("form") || document;
    var boxes = form.querySelectorAll('input[type=checkbox][name="' + button.getAttribute("data-tick") + '"]');
    var all = Array.prototype.every.call(boxes, function (box) { return box.checked; });
    Array.prototype.forEach.call(boxes, function (box) { box.checked = !all; });
  });
  document.addEventListener("close", function (event) {
    var dialog = event.target;
    if (dialog.returnFocusTo) dialog.returnFocusTo.focus();
  }, true);
})();
