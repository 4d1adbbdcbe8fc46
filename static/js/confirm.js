// Irreversible actions ask first, in the page. A form (or its submit button) with data-confirm="End Free latte?"
// opens a dialog when submitted, saying what will happen (data-confirm-detail), with Cancel first and focused and
// the action (data-confirm-button, else the button's own words) in red; Esc cancels. Confirmed, the form posts
// as it would have, with the button that was pressed. Without this script the form simply posts.
(function () {
  "use strict";
  let dialog = null, pending = null;
  const approved = new WeakSet();  // forms confirmed once: their next submit goes through

  function element(tag, props) {
    return Object.assign(document.createElement(tag), props);
  }

  function build() {
    dialog = element("dialog", {className: "confirm-dialog", id: "confirm-dialog"});
    dialog.setAttribute("role", "alertdialog");
    dialog.setAttribute("aria-labelledby", "confirm-dialog-title");
    dialog.setAttribute("aria-describedby", "confirm-dialog-detail");
    const form = element("form", {method: "dialog"});
    const actions = element("div", {className: "dialog-actions"});
    actions.append(element("button", {type: "submit", value: "cancel", className: "btn", id: "confirm-dialog-cancel",
                                      textContent: "Cancel"}),
                   element("button", {type: "submit", value: "confirm", className: "btn btn-destructive",
                                      id: "confirm-dialog-go"}));
    form.append(element("h2", {id: "confirm-dialog-title"}), element("p", {id: "confirm-dialog-detail"}), actions);
    dialog.append(form);
    dialog.addEventListener("close", settle);
    document.body.append(dialog);
  }

  function open(form, submitter) {
    if (!dialog) build();
    const said = (name) => (submitter && submitter.dataset[name]) || form.dataset[name] || "";
    const words = submitter ? submitter.textContent.trim() || submitter.value : "";
    dialog.querySelector("#confirm-dialog-title").textContent = said("confirm");
    const detail = dialog.querySelector("#confirm-dialog-detail");
    detail.textContent = said("confirmDetail");
    detail.hidden = !detail.textContent;
    dialog.querySelector("#confirm-dialog-go").textContent = said("confirmButton") || words || "Continue";
    pending = {form, submitter};
    dialog.returnValue = "";
    dialog.showModal();
    dialog.querySelector("#confirm-dialog-cancel").focus();
  }

  // The dialog closed: Cancel, Esc, or the action.
  function settle() {
    const {form, submitter} = pending || {};
    pending = null;
    if (!form) return;
    if (dialog.returnValue !== "confirm") {
      if (submitter) submitter.focus();
      return;
    }
    approved.add(form);
    if (form.requestSubmit) {
      form.requestSubmit(submitter && submitter.form === form ? submitter : null);
      return;
    }
    if (submitter && submitter.name) {  // form.submit() leaves out the button pressed: carry its value
      form.append(element("input", {type: "hidden", name: submitter.name, value: submitter.value}));
    }
    form.submit();
  }

  // Capture: the question comes before any other script's handling of the form.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method === "dialog") return;
    if (approved.has(form)) { approved.delete(form); return; }
    const submitter = event.submitter || null;
    if (!((submitter && submitter.dataset.confirm) || form.dataset.confirm)) return;
    event.preventDefault();
    event.stopPropagation();
    open(form, submitter);
  }, true);
})();
