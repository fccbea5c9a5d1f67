// Small progressive enhancements. No inline scripts anywhere (CSP forbids them).
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    var toggle = document.querySelector("[data-nav-toggle]");
    var nav = document.getElementById("sidenav");
    if (toggle && nav) {
      toggle.addEventListener("click", function () {
        var open = nav.classList.toggle("is-open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
      // Esc closes the phone menu and gives the focus back to its button.
      document.addEventListener("keydown", function (ev) {
        if (ev.key !== "Escape" || !nav.classList.contains("is-open")) return;
        nav.classList.remove("is-open");
        toggle.setAttribute("aria-expanded", "false");
        toggle.focus();
      });
    }
  });
  // Forms marked data-autosubmit submit (through htmx when present) on change.
  document.addEventListener("change", function (ev) {
    var form = ev.target.closest && ev.target.closest("form[data-autosubmit]");
    if (form) {
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    }
  });
  // Buttons marked data-confirm ask first: static/js/confirm.js.
})();

// 对账单 打印: a button that opens the browser's print dialog (the print stylesheet
// hides navigation and buttons). Without JS the browser's own print does the same.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-print]");
  if (button) {
    event.preventDefault();
    window.print();
  }
});
