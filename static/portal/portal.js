// The portal's behaviour on top of htmx and Bootstrap: the modal, focus, drafts, and "select
// all" boxes. A file, never inline script: the Content-Security-Policy allows scripts from
// 'self' only.
(function () {
  "use strict";

  function modal() {
    var element = document.getElementById("modal");
    return element ? bootstrap.Modal.getOrCreateInstance(element) : null;
  }

  // Focus the first field in error; else what the dialog names (a destructive dialog names
  // Cancel, so a stray Enter destroys nothing); else its first field or main button.
  function focusDialog(element) {
    var first = element.querySelector(".is-invalid") ||
      element.querySelector("[autofocus]") ||
      element.querySelector("input:not([type=hidden]):not([readonly]), textarea, select, .modal-footer .btn:last-child");
    if (!first) return;
    first.focus();
    if (first.classList.contains("is-invalid")) first.scrollIntoView({ block: "center" });
  }

  // --- The modal ------------------------------------------------------------------------------

  // The control that opened the modal, to give the focus back to when it closes.
  var opener = null;
  // Set when the server closed the dialog (its work is done): nothing to ask then.
  var closingDone = false;

  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    var element = document.getElementById("modal");
    if (target && target.id === "modal-content" && element && !element.classList.contains("show")) {
      opener = event.detail.elt;
    }
  });

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
      closingDone = true;
      if (instance) instance.hide();
      closingDone = false;
    }, 0);
  });

  // A form in the dialog holds unsaved input once the user typed in it, or once the server
  // sent it back with errors (nothing of it was saved).
  function changedForm() {
    var form = document.querySelector("#modal-content form[method=post]");
    if (!form) return false;
    return form.dataset.changed === "1" || Boolean(form.querySelector(".is-invalid"));
  }
  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (form && form.closest("#modal-content")) form.dataset.changed = "1";
  });

  // --- "Discard what you typed?": the portal's own question, whose buttons say what they do
  // (never the browser's confirm(), whose OK would mean discard). A <dialog> inside the modal,
  // so the modal's focus trap lets it have the focus; "Keep editing" has it first.

  function discardQuestion() {
    var question = document.getElementById("discard-question");
    if (question) return question;
    question = document.createElement("dialog");
    question.id = "discard-question";
    question.className = "discard-question border-0 rounded shadow p-0";
    question.setAttribute("aria-labelledby", "discard-question-title");
    question.setAttribute("aria-describedby", "discard-question-text");
    question.innerHTML = '<form method="dialog" class="p-3">' +
      '<h2 class="h5" id="discard-question-title">Discard what you typed?</h2>' +
      '<p id="discard-question-text">Nothing you typed in this form has been saved yet.</p>' +
      '<div class="d-flex flex-wrap justify-content-end gap-2">' +
      '<button type="submit" class="btn btn-primary" value="keep">Keep editing</button>' +
      '<button type="submit" class="btn btn-outline-danger" value="discard">Discard changes</button>' +
      "</div></form>";
    // Escape answers the question ("Keep editing"), not the modal behind it.
    question.addEventListener("keydown", function (event) {
      if (event.key === "Escape") event.stopPropagation();
    });
    // Answered when a button is pressed or Escape cancels, both at once (its "close" event
    // comes a task later, after a quick next question may have been asked).
    function answer(discard) {
      var waiting = pendingAnswer;
      pendingAnswer = null;
      if (waiting) waiting(discard);
    }
    question.addEventListener("submit", function (event) {
      answer(Boolean(event.submitter && event.submitter.value === "discard"));
    });
    question.addEventListener("cancel", function () { answer(false); });
    document.getElementById("modal").appendChild(question);
    return question;
  }
  // What the open question's answer goes to.
  var pendingAnswer = null;
  // Resolves true for "Discard changes"; Escape or "Keep editing" is false.
  function askDiscard() {
    var question = discardQuestion();
    return new Promise(function (resolve) {
      // Later, not inside the Escape keydown that may have asked: Chromium would take that
      // same key as the request to close the question just opened.
      window.setTimeout(function () {
        if (question.open) return resolve(false);
        pendingAnswer = resolve;
        question.showModal();
      }, 0);
    });
  }

  // Escape, the backdrop, the × or Cancel: a confirmation opened from a form in the dialog
  // goes back to that form (as it was, typed input and all); a changed form asks first.
  var discardAgreed = false;
  document.addEventListener("hide.bs.modal", function (event) {
    if (event.target.id !== "modal" || closingDone || discardAgreed) return;
    if (formStash) {
      event.preventDefault();
      restoreForm();
      return;
    }
    if (!changedForm()) return;
    event.preventDefault();
    askDiscard().then(function (discard) {
      if (!discard) return;
      discardAgreed = true;
      modal().hide();
      discardAgreed = false;
    });
  });

  // A link in a changed form that would replace it (Add a secret…, Regenerate…, Remove…, or
  // one that leaves: "Open the App's page") asks first; the form itself is kept aside
  // meanwhile, so the confirmation's Cancel returns to it.
  var passLink = null;
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("#modal-content a[href]:not([href^=\"#\"]):not([data-bs-dismiss])") : null;
    if (!link || link === passLink || !changedForm()) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    askDiscard().then(function (discard) {
      if (!discard) return;
      passLink = link;
      link.click();
      passLink = null;
    });
  }, true);
  var formStash = null;
  var formStashFocus = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var config = event.detail.requestConfig;
    var content = event.detail.target;
    if (!config || content.id !== "modal-content") return;
    if (config.verb !== "get") {
      formStash = formStashFocus = null;  // the confirmation acted: nothing to return to
    } else if (!formStash && content.contains(config.elt) && content.querySelector("form[method=post] input:not([type=hidden])")) {
      formStash = document.createDocumentFragment();
      formStashFocus = config.elt;
      while (content.firstChild) formStash.appendChild(content.firstChild);
    }
  });
  function restoreForm() {
    var content = document.getElementById("modal-content");
    content.replaceChildren(formStash);
    var back = formStashFocus;
    formStash = formStashFocus = null;
    if (back && back.isConnected) back.focus();
    else focusDialog(document.getElementById("modal"));
  }

  // A closed modal forgets its dialog (and any secret it showed), and the focus goes back to
  // the control that opened it (or its successor, when the list was drawn again).
  document.addEventListener("hidden.bs.modal", function (event) {
    if (event.target.id !== "modal") return;
    formStash = formStashFocus = null;
    document.getElementById("modal-content").innerHTML = "";
    var back = opener;
    opener = null;
    if (back && !back.isConnected && back.id) back = document.getElementById(back.id);
    if (back && back.isConnected) back.focus();
    else focusMessage();
  });

  // --- The changelist: focus stays on the control that acted, and the count is announced ---

  var changelistFocus = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target.id !== "changelist") return;
    var active = document.activeElement;
    changelistFocus = active && active.id && event.detail.target.contains(active) ? active.id : null;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target.id !== "changelist") return;
    var count = document.getElementById("app-count");
    var announce = document.getElementById("announce");
    if (announce && count) announce.textContent = count.textContent.replace(/\s+/g, " ").trim();
    if (!changelistFocus) return;
    var again = document.getElementById(changelistFocus) || count;
    changelistFocus = null;
    if (again && document.activeElement !== again) again.focus();
  });

  // --- Drafts: what was typed in a dialog survives a sign-in the session's end asked for -----

  function draftKey(form) {
    return "portal:draft:" + form.getAttribute("action");
  }
  function typedFields(form) {
    return Array.prototype.filter.call(form.elements, function (field) {
      return field.name && field.name !== "csrfmiddlewaretoken" && field.type !== "hidden" &&
        field.type !== "submit" && !field.readOnly;
    });
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (form.tagName !== "FORM" || !form.hasAttribute("data-draft")) return;
    var values = {};
    typedFields(form).forEach(function (field) {
      values[field.name] = field.type === "checkbox" ? field.checked : field.value;
    });
    try { window.sessionStorage.setItem(draftKey(form), JSON.stringify(values)); } catch (error) { /* full or off */ }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    var redirect = event.detail.xhr && event.detail.xhr.getResponseHeader("HX-Redirect");
    if (form.tagName === "FORM" && form.hasAttribute("data-draft") && !redirect) {
      window.sessionStorage.removeItem(draftKey(form));
    }
  });
  function restoreDrafts(root) {
    root.querySelectorAll("form[data-draft]").forEach(function (form) {
      var saved = window.sessionStorage.getItem(draftKey(form));
      if (!saved) return;
      window.sessionStorage.removeItem(draftKey(form));
      var values = JSON.parse(saved);
      typedFields(form).forEach(function (field) {
        if (!(field.name in values)) return;
        if (field.type === "checkbox") field.checked = values[field.name];
        else field.value = values[field.name];
      });
      form.dataset.changed = "1";
    });
  }

  // --- A broken App image gives way to the neutral square (no inline onerror: CSP) ---------

  function fallBack(image) {
    var square = document.createElement("span");
    square.className = "app-image-placeholder app-image-broken";
    square.setAttribute("aria-hidden", "true");
    image.replaceWith(square);
  }
  document.addEventListener("error", function (event) {
    var image = event.target;
    if (!(image instanceof HTMLImageElement) || !image.classList.contains("app-image")) return;
    fallBack(image);
  }, true);
  // An image that failed before this script ran fired its error unheard.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("img.app-image").forEach(function (image) {
      if (image.complete && image.naturalWidth === 0) fallBack(image);
    });
  });

  // --- "Select all" checkboxes: hidden without JavaScript, where they could do nothing -------

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
  // --- The changelist's actions: "0 of N selected", and "Select all N Apps" across pages -----

  function initActions(root) {
    var form = root.querySelector ? root.querySelector("#changelist-form") : null;
    if (!form || form.dataset.actionsBound) return;
    form.dataset.actionsBound = "1";
    var counter = form.querySelector("#selection-count");
    var across = form.querySelector("#select-across");
    var ask = form.querySelector("#select-across-button");
    var done = form.querySelector("#select-across-done");
    var boxes = function () { return form.querySelectorAll('tbody input[type=checkbox][name="app"]'); };
    function update() {
      var all = boxes();
      var checked = Array.prototype.filter.call(all, function (box) { return box.checked; }).length;
      if (counter) {
        counter.hidden = false;
        counter.textContent = checked + " of " + all.length + " selected";
      }
      if (checked < all.length && across.value === "1") across.value = "0";
      if (ask) ask.hidden = !(checked === all.length && all.length > 0) || across.value === "1";
      if (done) done.hidden = across.value !== "1";
      if (counter) counter.hidden = across.value === "1";
    }
    form.addEventListener("change", function (event) {
      if (event.target.type === "checkbox") window.setTimeout(update, 0);
    });
    if (ask) ask.addEventListener("click", function () {
      across.value = "1";
      update();
      var clear = form.querySelector("#select-across-clear");
      if (clear) clear.focus();
    });
    var clear = form.querySelector("#select-across-clear");
    if (clear) clear.addEventListener("click", function () {
      across.value = "0";
      boxes().forEach(function (box) { box.checked = false; });
      var all = form.querySelector("input[data-select-all]");
      if (all) all.checked = false;
      update();
      form.querySelector("#action-select").focus();
    });
    update();
  }

  // --- Row checkboxes (issue 28): Enter on a row's box toggles it as Space does, never sends the form;
  // "Revoke access of the selected Apps..." waits for a ticked box -----------------------------

  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (event.key !== "Enter" || box.type !== "checkbox" || !box.form || !box.closest("tbody")) return;
    event.preventDefault();
    box.click();
  });
  function initRevokeSelected(root) {
    var form = root.querySelector ? root.querySelector("#authorized-form") : null;
    if (!form || form.dataset.revokeBound) return;
    form.dataset.revokeBound = "1";
    var button = form.querySelector("#revoke-selected");
    function update() {
      button.disabled = !form.querySelector('tbody input[type=checkbox][name="app"]:checked');
    }
    form.addEventListener("change", function () { window.setTimeout(update, 0); });
    update();
  }

  // --- Copy buttons: <button data-copy="#id"> copies that field's value (or text) -----------

  function initCopy(root) {
    root.querySelectorAll("button[data-copy]").forEach(function (button) {
      if (navigator.clipboard) button.hidden = false;
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var value = "value" in source && source.tagName !== "BUTTON" ? source.value : source.textContent.trim();
    navigator.clipboard.writeText(value).then(function () {
      var status = document.getElementById("copy-status");
      var label = button.textContent;
      button.textContent = "Copied";
      if (status) {
        status.textContent = "";
        window.setTimeout(function () { status.textContent = "Copied " + (button.dataset.copyName || "") + "."; }, 50);
      }
      window.setTimeout(function () { button.textContent = label; }, 2000);
    });
  });

  // --- One focus rule for full pages: the error summary after an invalid submit, else the
  // message an action left (never <body>); a dialog's own focus is focusDialog's ------------

  function focusMessage() {
    var target = document.querySelector("main #error-summary") ||
      document.querySelector("#messages > .alert") || document.querySelector("main #created-token");
    if (!target) return false;
    target.setAttribute("tabindex", "-1");
    target.focus();
    return true;
  }
  // After Reveal (the secret list is drawn again): the secret now shown in clear.
  document.addEventListener("htmx:afterSettle", function (event) {
    var config = event.detail.requestConfig;
    if (!config || !config.elt || config.elt.id !== "reveal-form") return;
    var shown = document.querySelector('#app-secret input[id^="client-secret"]:not([aria-label$="masked"])');
    if (shown) shown.focus();
  });

  document.addEventListener("DOMContentLoaded", function () {
    focusMessage();
    initCopy(document);
    initActions(document);
    initRevokeSelected(document);
    initSelectAll(document);
    restoreDrafts(document);
  });
  document.addEventListener("htmx:load", function (event) {
    initSelectAll(event.detail.elt);
    initActions(event.detail.elt);
    initRevokeSelected(event.detail.elt);
    initCopy(event.detail.elt);
  });
})();
