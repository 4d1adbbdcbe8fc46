// Shows the budget a campaign commits (fixed cost + unit cost × voucher limit) while the form is filled in.
(function () {
  "use strict";
  const form = document.getElementById("campaign-form");
  if (!form) return;
  const currency = form.dataset.currency || "";
  const out = document.getElementById("budget-committed");
  const explained = document.getElementById("budget-explained");

  // Parse a money string into integer cents without floating-point rounding.
  function cents(text) {
    const match = String(text || "").replace(/,/g, "").trim().match(/^(\d*)(?:\.(\d{0,2}))?$/);
    if (!match || (match[1] === "" && !match[2])) return null;
    return parseInt(match[1] || "0", 10) * 100 + parseInt(((match[2] || "") + "00").slice(0, 2), 10);
  }
  function show(c) {
    const whole = Math.floor(c / 100).toLocaleString("en-US");
    return currency + " " + whole + "." + String(c % 100).padStart(2, "0");
  }
  function update() {
    const unit = cents(form.elements.unit_cost.value);
    const fixed = cents(form.elements.fixed_cost.value || "0");
    const limit = parseInt(form.elements.voucher_limit.value, 10);
    if (unit === null || fixed === null) {
      out.textContent = "—";
      explained.textContent = "Enter the unit cost to see the budget.";
    } else if (!limit || limit < 1) {
      out.textContent = show(fixed) + " + " + show(unit) + " per voucher redeemed";
      explained.textContent = "No voucher limit: the budget grows with every redemption.";
    } else {
      out.textContent = show(fixed + unit * limit);
      explained.textContent = show(fixed) + " fixed + " + show(unit) + " × " + limit.toLocaleString("en-US") + " vouchers, if all are redeemed.";
    }
  }
  form.addEventListener("input", update);
  update();
})();
