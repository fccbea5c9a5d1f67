// Forms (issue 13): after a failed submit the focus goes to the error summary; a link in
// it focuses its field; links marked data-focus-form focus the first field of their form.
// No inline scripts anywhere (CSP forbids them); every page works without this file.
(function () {
  "use strict";
  var FIELDS = "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled])";

  function focusSummary(root) {
    var summary = (root || document).querySelector("[data-error-summary]");
    if (summary) summary.focus();
    return summary;
  }

  function focusField(el) {
    if (!el) return false;
    var target = el.matches(FIELDS) ? el : el.querySelector(FIELDS);
    if (!target) return false;
    target.focus();
    var box = target.closest(".field, fieldset") || target;
    if (box.scrollIntoView) box.scrollIntoView({ block: "center" });
    return true;
  }

  // After a failed submit, the summary; arriving at a form's #id (我要合作 on a card), its first field.
  function onReady() {
    if (focusSummary(document) || !location.hash) return;
    var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target && target.matches("form[tabindex='-1']")) focusField(target);
  }
  if (document.readyState !== "loading") onReady(); else document.addEventListener("DOMContentLoaded", onReady);

  // htmx swapped a form back in with its errors: role="alert" announces it, focus follows.
  // Only after a POST: a polling GET (the workbench's to-dos) must never move the focus.
  document.addEventListener("htmx:afterSettle", function (ev) {
    var config = ev.detail && ev.detail.requestConfig;
    if (config && String(config.verb).toLowerCase() === "post") focusSummary(document);
  });

  document.addEventListener("click", function (ev) {
    var link = ev.target.closest && ev.target.closest("[data-error-summary] a[href^='#'], a[data-focus-form]");
    if (!link) return;
    var target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (target && focusField(target)) {
      ev.preventDefault();
      if (history.replaceState) history.replaceState(null, "", link.hash);
    }
  });
})();
