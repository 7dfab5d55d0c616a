// Reads the NHI card through the local card agent: our server's challenge, signed by the card.
(function () {
  const section = document.querySelector(".card-reader");
  if (!section) return;
  const { agent, status, say, check } = window.healthbankAgentStatus(section, "card_present");
  const form = section.querySelector("form.card-form");
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;

  async function read(purpose, action) {
    const body = new URLSearchParams({ purpose: purpose });
    const issued = await fetch(section.dataset.challengeUrl, {
      method: "POST", headers: { "X-CSRFToken": csrf, "Accept": "application/json" }, body: body,
      credentials: "same-origin",
    });
    const answer = await issued.json().catch(function () { return {}; });
    if (!issued.ok) {  // e.g. 503 while a system HealthBank depends on is away: its message, in the page's language
      const reasons = Object.values(answer.errors || {}).flat();
      say(reasons[0] || status.dataset.down, "error");
      return;
    }
    const challenge = answer.challenge;
    const signed = await fetch(agent + "/proof", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ challenge: challenge }),
    });
    const proof = await signed.json();
    if (!signed.ok) { say(proof.error || status.dataset.down, "error"); return; }
    form.querySelector("[name=challenge]").value = challenge;
    form.querySelector("[name=card_number]").value = proof.card_number;
    form.querySelector("[name=national_id]").value = proof.national_id;
    form.querySelector("[name=signature]").value = proof.signature;
    const actionField = form.querySelector("input[type=hidden][name=action]");
    if (actionField) actionField.value = action || "";
    form.submit();
  }

  section.querySelectorAll(".read-card").forEach(function (button) {
    button.addEventListener("click", async function () {
      button.disabled = true;
      if (await check()) await read(button.dataset.purpose, button.value);
      button.disabled = false;
    });
  });
  section.querySelector(".check-agent").addEventListener("click", check);
  check();
})();
