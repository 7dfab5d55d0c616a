// County → township → village cascading selects, from the reference lists the server holds.
(function () {
  const form = document.querySelector("form[data-places-url]");
  if (!form) return;
  const url = form.dataset.placesUrl;
  const county = form.querySelector("[name=county]");
  function toSelect(name) {
    // Every attribute the server gave the text field (id, required, aria-invalid, aria-describedby,
    // autocomplete) carries over, so a field with an error still says so to a screen reader.
    const input = form.querySelector("[name=" + name + "]");
    const select = document.createElement("select");
    Array.from(input.attributes).forEach(function (attr) {
      if (!["type", "value", "maxlength", "size"].includes(attr.name)) select.setAttribute(attr.name, attr.value);
    });
    select.dataset.initial = input.value;
    input.replaceWith(select);
    return select;
  }
  const township = toSelect("township");
  const village = toSelect("village");
  async function fill(select, query) {
    // Answers can arrive out of order: only the newest request may fill the list,
    // and a choice the person already made survives a refill that still offers it.
    const ticket = (select.ticket = (select.ticket || 0) + 1);
    const options = (await (await fetch(url + "?" + new URLSearchParams(query))).json()).options;
    if (ticket !== select.ticket) return;
    const keep = select.value || select.dataset.initial;
    select.replaceChildren(new Option("—", ""), ...options.map((o) => new Option(o, o)));
    if (options.includes(keep)) select.value = keep;
  }
  county.addEventListener("change", async function () {
    await fill(township, { county: county.value });
    await fill(village, { county: county.value, township: township.value });
  });
  township.addEventListener("change", function () { fill(village, { county: county.value, township: township.value }); });
  if (county.value) fill(township, { county: county.value }).then(function () {
    fill(village, { county: county.value, township: township.value });
  });
})();
