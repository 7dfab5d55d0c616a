// The login captcha: "New picture" draws another code without reloading the page (the typed answer
// is cleared, focus goes back to it); "Listen" plays the digits in the page instead of downloading them.
(function () {
  document.querySelectorAll(".captcha-widget").forEach(function (widget) {
    const box = widget.querySelector(".captcha");
    const image = box.querySelector("img.captcha-image");
    const refresh = box.querySelector(".captcha-refresh");
    const listen = box.querySelector(".captcha-audio");
    const status = box.querySelector(".captcha-status");
    const key = widget.querySelector("input[type=hidden][name$=captcha_0]");
    const answer = widget.querySelector("input[type=text][name$=captcha_1]");
    let playing = null;

    refresh.hidden = false;
    refresh.addEventListener("click", async function () {
      refresh.disabled = true;
      try {
        const reply = await fetch(box.dataset.refreshUrl, {
          headers: { "X-Requested-With": "XMLHttpRequest" }, credentials: "same-origin",
        });
        const fresh = await reply.json();
        key.value = fresh.key;
        image.src = fresh.image_url;
        image.srcset = fresh.image_url.replace(/\/$/, "@2/") + " 2x";
        if (listen && fresh.audio_url) listen.href = fresh.audio_url + new URL(listen.href).search;  // keeps ?lang=
        answer.value = "";
        status.textContent = box.dataset.refreshed;
        answer.focus();
      } finally {
        refresh.disabled = false;
      }
    });

    if (listen) {
      listen.addEventListener("click", function (event) {
        event.preventDefault();
        if (playing) playing.pause();
        playing = new Audio(listen.href);
        playing.play().catch(function () { window.location.href = listen.href; });
      });
    }
  });
})();
