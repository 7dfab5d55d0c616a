// The live strength meter of the registration password (SPEC §3: weak / medium / medium-strong / strong).
// The strength is computed here as in accounts/passwords.py, but nothing is shown until the server has said
// whether it accepts the password (length, characters, common passwords, the person's ID or birth date):
// the meter never calls a password strong that the server would refuse.
(function () {
  const names = ["weak", "medium", "medium-strong", "strong"];
  const keys = { weak: "weak", medium: "medium", "medium-strong": "mediumStrong", strong: "strong" };

  function localStrength(p) {
    const classes = [/[A-Z]/, /[a-z]/, /[0-9]/, /[!-\/:-@\[-`{-~]/].filter((r) => r.test(p)).length;
    if (classes === 4 && p.length >= 8) return "strong";
    return names[Math.max(0, Math.min(classes, 3) - 1)];
  }

  document.querySelectorAll("input[data-strength-meter]").forEach(function (input) {
    const box = input.parentElement.querySelector(".strength-meter");
    if (!box) return;
    const meter = box.querySelector("meter.strength");
    const label = box.querySelector("output.strength-label");
    const problems = box.querySelector(".strength-problems");
    const csrf = input.form.querySelector("[name=csrfmiddlewaretoken]").value;
    let ticket = 0;
    let timer = null;

    function show(strength, accepted, reasons) {
      if (!accepted) {
        meter.value = 0;
        label.textContent = label.dataset.refused;
        label.dataset.level = "refused";
        problems.textContent = reasons.join(" ");
        return;
      }
      meter.value = names.indexOf(strength) + 1;
      label.textContent = label.dataset[keys[strength]];
      label.dataset.level = strength;
      problems.textContent = "";
    }

    async function check(value, mine) {
      try {
        const answer = await fetch(box.dataset.checkUrl, {
          method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf },
          body: new URLSearchParams({ password: value }),
        });
        if (!answer.ok) throw new Error(answer.status);
        const verdict = await answer.json();
        if (mine === ticket) show(verdict.strength, verdict.accepted, verdict.problems);
      } catch (e) {
        // The server cannot be asked: show the strength, but never "strong" unchecked.
        if (mine === ticket) show(localStrength(value) === "strong" ? "medium-strong" : localStrength(value), true, []);
      }
    }

    input.addEventListener("input", function () {
      const mine = (ticket += 1);
      clearTimeout(timer);
      meter.value = 0;
      label.textContent = "";
      delete label.dataset.level;
      problems.textContent = "";
      if (!input.value) return;
      const value = input.value;
      timer = setTimeout(function () { check(value, mine); }, 200);
    });
  });
})();
