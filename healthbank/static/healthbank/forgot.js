// Forgot password: the new-e-mail fields matter only for the second route; show them when it is chosen.
(function () {
  const form = document.querySelector("form.card-form");
  const group = form && form.querySelector(".route-new");
  if (!group) return;
  const radios = form.querySelectorAll("input[name=route]");
  function follow() {
    const chosen = form.querySelector("input[name=route]:checked");
    group.hidden = !chosen || chosen.value !== "new";
  }
  radios.forEach(function (radio) { radio.addEventListener("change", follow); });
  follow();
})();
