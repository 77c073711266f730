/*
 * The entry form's sum check: when the reviewer typed the valid-votes total as printed, say at once if the cards
 * they typed do not add up to it. A warning, never a refusal (the sheet itself may not add up); the result page
 * says it again. Without scripts, only the result page does.
 */
(function () {
  "use strict";

  const form = document.querySelector("form.manual");
  const warning = document.getElementById("total-warning");
  const total = form && form.querySelector("input[name=valid_votes]");
  if (!form || !warning || !total) return;
  const cards = Array.from(form.querySelectorAll("input[name^=card_]"));

  function check() {
    const printed = total.value.trim();
    const typed = cards.map((input) => input.value.trim());
    if (printed === "" || typed.some((value) => value === "")) {
      warning.textContent = "";
      return;
    }
    const sum = typed.reduce((acc, value) => acc + Number(value), 0);
    warning.textContent =
      sum === Number(printed) ? "" : warning.dataset.message.replace("{sum}", String(sum)).replace("{total}", printed);
  }

  form.addEventListener("input", check);
  check();
})();
