/* The virtual NHI card's pages: the QR code's countdown and "New code" without reloading the page, the photo
   preview before applying, and the delegation form showing only the chosen kind. Every page works without it. */
(function () {
  "use strict";

  /* The countdown runs from the seconds the server counted when it made the code, not from the phone's clock:
     a phone set a few minutes wrong would otherwise show a live code as expired, or the other way round. */
  function startCountdown(panel) {
    if (!panel || panel.dataset.counting) return;
    var left = parseInt(panel.dataset.secondsLeft, 10);
    if (isNaN(left)) return;
    panel.dataset.counting = "1";
    var started = performance.now();
    var timer = panel.querySelector(".qr-timer");
    var note = panel.querySelector(".qr-expired-note");
    var template = panel.dataset.left || "{time}";
    function tick() {
      if (!panel.isConnected) {  // replaced by a newer code
        window.clearInterval(handle);
        return;
      }
      var remaining = Math.max(0, Math.ceil(left - (performance.now() - started) / 1000));
      if (remaining <= 0) {
        panel.classList.add("qr-expired");
        if (timer) timer.textContent = "";
        if (note) note.textContent = panel.dataset.expired || "";
        window.clearInterval(handle);
        return;
      }
      var minutes = Math.floor(remaining / 60);
      var seconds = remaining % 60;
      if (timer) timer.textContent = template.replace("{time}", minutes + ":" + (seconds < 10 ? "0" : "") + seconds);
    }
    var handle = window.setInterval(tick, 1000);
    tick();
  }

  /* "Show QR code" and "New code" fetch the panel alone and put it in its slot; anything else the server says
     (the card is no longer lent: a 404 page) falls back to sending the form the ordinary way. */
  function requestCode(form, slot) {
    var button = form.querySelector("button");
    if (button) button.disabled = true;
    window.fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "HX-Request": "true" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.text().then(function (text) {
        var holder = document.createElement("template");
        holder.innerHTML = text;
        var panel = holder.content.querySelector(".qr-panel");
        if (!panel) throw new Error("no panel");
        if (button) button.disabled = false;
        slot.replaceChildren(panel);
        startCountdown(panel);
        panel.scrollIntoView({ block: "start" });
        panel.focus({ preventScroll: true });
      });
    }).catch(function () {
      if (button) button.disabled = false;
      form.submit();
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var slot = document.getElementById("qr-slot");
    if (!slot || !form.classList || !form.classList.contains("qr-request") || !window.fetch) return;
    event.preventDefault();
    requestCode(form, slot);
  });

  /* The photo that will be on the card, shown from the file chosen; it never leaves the browser until sent. */
  function setUpPreview() {
    var image = document.querySelector(".vcard-preview-photo");
    if (!image || !window.URL || !URL.createObjectURL) return;
    var empty = document.querySelector(".vcard-preview-empty");
    var portrait = document.getElementById("portrait");
    var documentPhoto = document.getElementById("document_photo");
    var shown = null;
    function update() {
      var file = (portrait && portrait.files && portrait.files[0]) ||
        (documentPhoto && documentPhoto.files && documentPhoto.files[0]) || null;
      if (shown) URL.revokeObjectURL(shown);
      shown = null;
      if (!file) {
        image.hidden = true;
        image.removeAttribute("src");
        if (empty) empty.hidden = false;
        return;
      }
      shown = URL.createObjectURL(file);
      image.src = shown;
      image.hidden = false;
      if (empty) empty.hidden = true;
    }
    [portrait, documentPhoto].forEach(function (input) {
      if (input) input.addEventListener("change", update);
    });
    update();
  }

  /* Two kinds of delegate, one form: only the chosen kind's fields are shown (without script, both are). */
  function setUpKinds() {
    var radios = document.querySelectorAll("input[name=kind]");
    var sections = document.querySelectorAll(".vcard-kind[data-kind]");
    if (!radios.length || !sections.length) return;
    function update() {
      var chosen = document.querySelector("input[name=kind]:checked");
      sections.forEach(function (section) {
        section.hidden = chosen ? section.dataset.kind !== chosen.value : false;
      });
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  }

  function start() {
    document.querySelectorAll(".qr-panel[data-seconds-left]").forEach(startCountdown);
    setUpPreview();
    setUpKinds();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
