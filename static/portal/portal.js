// The portal's behaviour on top of htmx and Bootstrap: the modal, and "select all" boxes.
// A file, never inline script: the Content-Security-Policy allows scripts from 'self' only.
(function () {
  "use strict";

  function modal() {
    var element = document.getElementById("modal");
    return element ? bootstrap.Modal.getOrCreateInstance(element) : null;
  }

  // htmx put a dialog into the modal: show it (once) and focus its first field.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id !== "modal-content") return;
    var element = document.getElementById("modal");
    if (!element.classList.contains("show")) modal().show();
    var invalid = element.querySelector(".is-invalid");
    var first = invalid || element.querySelector("input:not([type=hidden]):not([readonly]), textarea, select");
    if (first && element.classList.contains("show")) first.focus();
  });

  document.addEventListener("shown.bs.modal", function (event) {
    if (event.target.id !== "modal") return;
    var invalid = event.target.querySelector(".is-invalid");
    var first = invalid || event.target.querySelector("input:not([type=hidden]):not([readonly]), textarea, select, .btn-primary, .btn-danger");
    if (first) first.focus();
  });

  // The server says the dialog is done (HX-Trigger: closeModal).
  document.body.addEventListener("closeModal", function () {
    var instance = modal();
    if (instance) instance.hide();
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
