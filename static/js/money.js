// Reads an amount typed the business's way, exactly as campaigns/money.py read_amount does on the server:
// the same marks (sent by the server from Babel in the page's JSON), the same strictness, the same messages.
// tests/browser/test_money_preview.py feeds both the same table of inputs and compares.
(function () {
  "use strict";

  function strip(text, chars) {
    let start = 0, end = text.length;
    while (start < end && chars.includes(text[start])) start++;
    while (end > start && chars.includes(text[end - 1])) end--;
    return text.slice(start, end);
  }
  function escape(text) { return text.replace(/[\\^$.*+?()[\]{}|\-]/g, "\\$&"); }

  // Whole-number digits grouped as the locale writes them (primary group, then secondary).
  function grouped(digits, grouping, group) {
    digits = digits.replace(/^0+/, "") || "0";
    const parts = [];
    let size = grouping[0];
    while (digits.length > size) {
      parts.unshift(digits.slice(-size));
      digits = digits.slice(0, -size);
      size = grouping[1];
    }
    return [digits].concat(parts).join(group);
  }

  // The number read with these marks as {whole, part} digit strings, or null unless grouped exactly.
  function reads(number, decimal, group, grouping) {
    const at = number.indexOf(decimal);
    const whole = at < 0 ? number : number.slice(0, at);
    const part = at < 0 ? "" : number.slice(at + decimal.length);
    if (!new RegExp("^[0-9][0-9" + escape(group) + "]*$").test(whole)) return null;
    if (at >= 0 && !/^[0-9]+$/.test(part)) return null;
    if (whole.includes(group) && whole !== grouped(whole.split(group).join(""), grouping, group)) return null;
    return {whole: whole.split(group).join(""), part: part};
  }
  function decimals(value) { return value.part.replace(/0+$/, "").length; }

  // The locale's way of writing a value read as {whole, part} with `places` decimals (for suggestions).
  function shown(value, info) {
    const fraction = (value.part + "0".repeat(info.places)).slice(0, info.places);
    return grouped(value.whole, info.grouping, info.group) + (info.places ? info.decimal + fraction : "");
  }

  function unsigned(typed, info) {
    if (typed && info.minus.includes(typed[0])) return [strip(typed.slice(1), info.spaces), true];
    return [typed, false];
  }

  // Return {amount: "1234.50"} (an exact decimal string) or {error: "Type it like …"}.
  function read(text, info) {
    const refuse = (message) => ({error: message});
    const typed = typeof text === "string" ? strip(text, info.spaces) : "";
    if (!typed || typed.length > 40) return refuse("Type the amount like " + info.example + ".");
    let [number, sign] = unsigned(typed, info);
    for (const symbol of info.symbols) {
      if (number.slice(0, symbol.length).toUpperCase() === symbol.toUpperCase()) {
        number = strip(number.slice(symbol.length), info.spaces);
        break;
      }
      if (number.length > symbol.length && number.slice(-symbol.length).toUpperCase() === symbol.toUpperCase()) {
        number = strip(number.slice(0, -symbol.length), info.spaces);
        break;
      }
    }
    if (!sign) [number, sign] = unsigned(number, info);
    if (/\p{Sc}/u.test(number) || /[A-Z]{3}/.test(number)) {
      return refuse(info.currency ? "Amounts here are in " + info.currency + ": type it like " + info.example + "."
        : "Type it like " + info.example + ", with digits only.");
    }
    if (info.spaces.includes(info.group)) {
      number = Array.from(number, (c) => (info.spaces.includes(c) ? info.group : c)).join("");
    }
    const mark = "the decimal mark here is \u201c" + info.decimal + "\u201d.";
    const value = reads(number, info.decimal, info.group, info.grouping);
    if (value === null) {
      const other = ".,".includes(info.decimal)
        ? reads(number, info.decimal === "," ? "." : ",", info.decimal === "," ? "," : ".", info.grouping) : null;
      if (other !== null && decimals(other) <= info.places &&
          (other.whole.replace(/^0+/, "") || "0").length <= info.maxDigits) return refuse("Type it like " + shown(other, info) + ": " + mark);
      return refuse("Type it like " + info.example + ": " + mark);
    }
    if (info.places === 3 && number.includes(info.group) && !number.includes(info.decimal)) {
      return refuse("A thousand or a fraction? Type it like " + info.example + ": " + mark);
    }
    if (sign) return refuse("The amount cannot be negative.");
    if (decimals(value) > info.places) {
      return refuse(info.places ? "At most " + info.places + " decimal places, like " + info.example + "."
        : "No decimal places: type it like " + info.example + ".");
    }
    const whole = value.whole.replace(/^0+/, "") || "0";
    if (whole.length > info.maxDigits) return refuse("Less than " + info.limit + ".");
    return {amount: whole + (value.part ? "." + value.part : "")};
  }

  // An exact decimal string in minor units (a BigInt), or null when it has more decimals than `places`.
  function minor(amount, places) {
    const [whole, part = ""] = amount.split(".");
    if (part.replace(/0+$/, "").length > places) return null;
    return BigInt(whole + (part + "0".repeat(places)).slice(0, places));
  }

  // Minor units shown with the currency's code, e.g. "USD 1,234.50" or "1.234,50 EUR" (Intl.NumberFormat).
  function format(units, info) {
    const digits = units.toString().padStart(info.places + 1, "0");
    const text = info.places ? digits.slice(0, -info.places) + "." + digits.slice(-info.places) : digits;
    return new Intl.NumberFormat(info.locale.replace("_", "-"), {
      style: "currency", currency: info.currency, currencyDisplay: "code",
      minimumFractionDigits: info.places, maximumFractionDigits: info.places,
    }).format(text);
  }

  window.ReciprocateMoney = {read: read, minor: minor, format: format};
})();
