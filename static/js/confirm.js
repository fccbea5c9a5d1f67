// Asking once before an irreversible action (hotwave/confirm.py). A button marked
// data-confirm is a GET form to the action's URL; here that GET is fetched with
// htmx's header, which answers with just the confirmation, shown in the page's
// <dialog id="confirm-dialog">: the focus goes to its first field or to 返回, Esc or
// 返回 closes it, and the focus goes back to the button. Without JavaScript, or if
// anything fails, the browser simply follows the GET to the confirmation page.
(function () {
  "use strict";
  var opener = null;

  function query(form) {
    var params = new URLSearchParams(new FormData(form)).toString();
    return form.action + (params ? (form.action.indexOf("?") < 0 ? "?" : "&") + params : "");
  }

  document.addEventListener("click", function (ev) {
    var closer = ev.target.closest && ev.target.closest("[data-dialog-close]");
    if (closer && closer.closest("dialog")) {
      ev.preventDefault();
      closer.closest("dialog").close();
      return;
    }
    var button = ev.target.closest && ev.target.closest("button[data-confirm]");
    var dialog = document.getElementById("confirm-dialog");
    if (!button || !button.form || !dialog || typeof dialog.showModal !== "function" || !window.fetch) return;
    ev.preventDefault();
    var url = query(button.form);
    button.setAttribute("aria-busy", "true");
    fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) {
        // A redirect (the action is no longer there) or an expired session: go there instead.
        if (!response.ok || response.redirected || response.status === 204) throw new Error("page");
        return response.text();
      })
      .then(function (html) {
        dialog.innerHTML = html;
        dialog.setAttribute("aria-labelledby", "confirm-title");
        dialog.setAttribute("aria-describedby", "confirm-body");
        opener = button;
        dialog.showModal();
        var first = dialog.querySelector("input:not([type=hidden]), select, textarea");
        if (first) first.focus();
      })
      .catch(function () { window.location.href = url; })
      .then(function () { button.removeAttribute("aria-busy"); });
  });

  // A click on the backdrop (outside the dialog's box) closes it too.
  document.addEventListener("click", function (ev) {
    if (ev.target.id === "confirm-dialog" && ev.target.open) {
      var box = ev.target.getBoundingClientRect();
      var inside = ev.clientX >= box.left && ev.clientX <= box.right && ev.clientY >= box.top && ev.clientY <= box.bottom;
      if (!inside) ev.target.close();
    }
  });

  // "close" does not bubble: listen while it is captured.
  document.addEventListener("close", function (ev) {
    if (ev.target.id !== "confirm-dialog") return;
    ev.target.innerHTML = "";
    if (opener && document.contains(opener)) opener.focus();
    opener = null;
  }, true);
})();
