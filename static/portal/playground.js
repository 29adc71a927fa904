// The developer playground: "Copy" buttons for the curl commands and the register.php link,
// and that link kept in step with the form. A file, never inline script (the
// Content-Security-Policy allows scripts from 'self' only). Without JavaScript the buttons stay
// hidden, the link shows the prefilled values, and any text can be selected and copied by hand.
(function () {
  "use strict";

  document.querySelectorAll("[data-link-of]").forEach(function (target) {
    var form = document.querySelector(target.getAttribute("data-link-of"));
    if (!form) return;
    function update() {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, key) {
        if (value) params.append(key, value);
      });
      target.textContent = form.action + "?" + params.toString();
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    // Values typed before this script ran, or restored by the browser on Back, count too.
    update();
  });

  if (!navigator.clipboard) return;
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent).then(function () {
        button.textContent = "Copied";
      });
    });
  });
})();
