// Citizen certificate login: our server's challenge, signed by the certificate after the agent checks the PIN.
// The PIN field has no name, so it is never part of the form sent to HealthBank.
(function () {
  const section = document.querySelector(".certificate-reader");
  if (!section) return;
  const { agent, status, say, check } = window.healthbankAgentStatus(section, "certificate_present");
  const form = section.querySelector("form.certificate-form");
  const pin = form.querySelector("#pin");
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;

  async function signIn() {
    const issued = await fetch(section.dataset.challengeUrl, {
      method: "POST", headers: { "X-CSRFToken": csrf, "Accept": "application/json" }, credentials: "same-origin",
      body: new URLSearchParams({ purpose: section.dataset.purpose }),
    });
    const answer = await issued.json().catch(function () { return {}; });
    if (!issued.ok) {  // e.g. 503 while a system HealthBank depends on is away: its message, in the page's language
      say(Object.values(answer.errors || {}).flat()[0] || status.dataset.down, "error");
      return;
    }
    const challenge = answer.challenge;
    const signed = await fetch(agent + "/certificate/proof", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ challenge: challenge, pin: pin.value }),
    });
    const proof = await signed.json();
    pin.value = "";
    if (signed.status === 401) { say(status.dataset.wrongpin.replace("{tries}", proof.tries_left), "error"); return; }
    if (signed.status === 423) { say(status.dataset.locked, "error"); return; }
    if (!signed.ok) { say(proof.error || status.dataset.down, "error"); return; }
    form.querySelector("[name=challenge]").value = challenge;
    form.querySelector("[name=serial]").value = proof.serial;
    form.querySelector("[name=signature]").value = proof.signature;
    form.submit();
  }

  form.addEventListener("submit", async function (event) {
    if (form.querySelector("[name=signature]").value) return;  // the agent has answered: send it
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    if (await check()) await signIn();
    button.disabled = false;
  });
  section.querySelector(".check-agent").addEventListener("click", check);
  check();
})();
