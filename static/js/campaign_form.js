// Shows, in words, the budget a campaign commits (fixed cost up front + unit cost per voucher redeemed, at most
// the voucher limit) while the form is filled in. Amounts are read as the server reads them (static/js/money.js,
// with the locale and marks in the page's JSON) and shown with Intl.NumberFormat in the same locale.
(function () {
  "use strict";
  const form = document.getElementById("campaign-form");
  const data = document.getElementById("campaign-form-data");
  const money = window.ReciprocateMoney;
  if (!form || !data || !money) return;
  const info = JSON.parse(data.textContent);
  const figure = document.getElementById("budget-committed");
  const words = document.getElementById("budget-explained");

  // The amount typed in a field in minor units, 0n when empty and allowed, or {error} naming the field.
  function amount(name, label, emptyIsZero) {
    const typed = form.elements[name].value;
    if (!typed.trim()) return emptyIsZero ? 0n : {error: "Enter the " + label + " to see the budget."};
    const read = money.read(typed, info);
    if (read.error) return {error: label.charAt(0).toUpperCase() + label.slice(1) + ": " + read.error};
    return money.minor(read.amount, info.places);
  }

  function update() {
    const unit = amount("unit_cost", "unit cost", false);
    const fixed = amount("fixed_cost", "fixed costs", true);
    const limitText = form.elements.voucher_limit.value.trim();
    const limit = /^[0-9]{1,9}$/.test(limitText) && Number(limitText) > 0 ? BigInt(limitText) : null;
    const problem = [unit, fixed].find((value) => typeof value === "object");
    form.classList.toggle("budget-unknown", Boolean(problem));
    if (problem) {
      figure.textContent = "—";
      words.textContent = problem.error;
      return;
    }
    const upFront = money.format(fixed, info) + " up front";
    if (limit === null) {
      figure.textContent = "No voucher limit";
      words.textContent = "No voucher limit: " + upFront + " + " + money.format(unit, info) + " for each voucher redeemed";
    } else {
      const most = money.format(fixed + unit * limit, info);
      const count = new Intl.NumberFormat(info.locale.replace("_", "-")).format(limit);
      figure.textContent = most;
      words.textContent = "At most " + most + ": " + upFront + " + " + money.format(unit, info) + " × " + count +
        (limit === 1n ? " voucher" : " vouchers");
    }
  }
  form.addEventListener("input", update);
  update();
})();
