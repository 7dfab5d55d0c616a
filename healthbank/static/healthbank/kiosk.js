// Kiosk session: sign out after the idle time without a touch, or as soon as the card leaves the reader.
(function () {
  const timer = document.querySelector(".kiosk-timer");
  if (!timer) return;
  const logout = document.querySelector("form.logout");
  const countdown = timer.querySelector(".kiosk-countdown");
  const idle = parseInt(timer.dataset.idleSeconds, 10);
  let left = idle;
  let ended = false;

  function end() {
    if (ended) return;
    ended = true;
    logout.submit();
  }
  ["pointerdown", "keydown", "scroll", "touchstart"].forEach(function (name) {
    document.addEventListener(name, function () { left = idle; }, { passive: true });
  });
  setInterval(function () {
    left -= 1;
    countdown.textContent = timer.dataset.left.replace("{seconds}", Math.max(left, 0));
    if (left <= 0) end();
  }, 1000);
  setInterval(async function () {
    try {
      const status = await (await fetch(timer.dataset.agentUrl + "/status")).json();
      if (!status.card_present) end();
    } catch (e) { /* the agent restarting is not a reason to end; the idle timer still runs */ }
  }, 3000);
})();
