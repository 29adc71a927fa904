// The portal's behaviour on top of htmx and Bootstrap: the modal, and "select all" boxes.
// A file, never inline script: the Content-Security-Policy allows scripts from 'self' only.
(function () {
  "use strict";

  function modal() {
    var element = document.getElementById("modal");
    return element ? bootstrap.Modal.getOrCreateInstance(element) : null;
  }

  // Focus the first field in error, or else the dialog's first field or main button.
  function focusDialog(element) {
    var first = element.querySelector(".is-invalid") ||
      element.querySelector("input:not([type=hidden]):not([readonly]), textarea, select, .modal-footer .btn:last-child");
    if (!first) return;
    first.focus();
    if (first.classList.contains("is-invalid")) first.scrollIntoView({ block: "center" });
  }

  // htmx put a dialog into the modal: show it, or (after an invalid submit) focus the error.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target.id !== "modal-content") return;
    var element = document.getElementById("modal");
    if (!element.classList.contains("show")) modal().show();
    else focusDialog(element);
  });

  // Opened: focus its first field, unless the user is already in one. (No fade: the
  // dialog is ready the moment it shows, so nothing moves the focus while one types.)
  document.addEventListener("shown.bs.modal", function (event) {
    var element = event.target;
    if (element.id !== "modal") return;
    var active = document.activeElement;
    if (active === element || !element.contains(active)) focusDialog(element);
  });

  // The server says the dialog is done (HX-Trigger: closeModal). Hide it once htmx has
  // finished with the response: hiding empties the dialog, and the element that made the
  // request must still be in the page for the other triggered events to bubble up.
  document.body.addEventListener("closeModal", function () {
    window.setTimeout(function () {
      var instance = modal();
      if (instance) instance.hide();
    }, 0);
  });

  // A closed modal forgets its dialog (and any secret it showed).
  document.addEventListener("hidden.bs.modal", function (event) {
    if (event.target.id === "modal") document.getElementById("modal-content").innerHTML = "";
  });

  // "Select all" checkboxes: hidden without JavaScript, where they could do nothing.
  function initSelectAll(root) {
    root.querySelectorAll("input[data-select-all]").forEach(function (box) {
      box.hidden = false;
      var name = box.getAttribute("data-select-all");
      var form = box.form;
      if (!form || box.dataset.bound) return;
      box.dataset.bound = "1";
      box.addEventListener("change", function () {
        form.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (row) {
          row.checked = box.checked;
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { initSelectAll(document); });
  document.addEventListener("htmx:load", function (event) { initSelectAll(event.detail.elt); });
})();
