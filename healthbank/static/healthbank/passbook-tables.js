// A table wider than the screen scrolls sideways inside its .table-responsive box. When the table has no link
// or control of its own, a keyboard user could not scroll it (WCAG 2.1.1; axe: scrollable-region-focusable):
// such a box becomes a focusable region named after the table's caption while, and only while, it scrolls.
(function () {
  "use strict";
  var FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";

  function update(root) {
    (root || document).querySelectorAll(".table-responsive").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      var ours = box.hasAttribute("data-scroll-region");
      if (scrolls && !ours && !box.hasAttribute("tabindex") && !box.querySelector(FOCUSABLE)) {
        var caption = box.querySelector("caption");
        box.setAttribute("data-scroll-region", "");
        box.setAttribute("tabindex", "0");
        if (caption && caption.textContent.trim()) {
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", caption.textContent.trim());
        }
      } else if (!scrolls && ours) {
        ["data-scroll-region", "tabindex", "role", "aria-label"].forEach(function (name) {
          box.removeAttribute(name);
        });
      }
    });
  }

  var pending = false;
  function soon() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      update();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { update(); });
  else update();
  window.addEventListener("resize", soon);
  document.addEventListener("htmx:load", function (event) { update(event.target); });
})();
