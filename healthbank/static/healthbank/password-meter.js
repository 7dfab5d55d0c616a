// The live strength meter of the registration password: the same rules as accounts/passwords.py.
(function () {
  const input = document.querySelector("input[data-strength-meter]");
  if (!input) return;
  const meter = input.parentElement.querySelector("meter.strength");
  const label = input.parentElement.querySelector("output.strength-label");
  const names = ["weak", "medium", "medium-strong", "strong"];
  function strength(p) {
    const classes = [/[A-Z]/, /[a-z]/, /[0-9]/, /[!-\/:-@\[-`{-~]/].filter((r) => r.test(p)).length;
    if (classes === 4 && p.length >= 8) return 3;
    return Math.max(0, Math.min(classes, 3) - 1);
  }
  input.addEventListener("input", function () {
    if (!input.value) { meter.value = 0; label.textContent = ""; return; }
    const level = strength(input.value);
    meter.value = level + 1;
    label.textContent = label.dataset[names[level].replace("-s", "S")];
    label.dataset.level = names[level];
  });
})();
