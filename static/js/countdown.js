// Ticks the server-rendered time left before a deadline ([data-countdown]).
// Progressive enhancement: without JavaScript the page already shows the date and
// the time left when it was rendered; this only keeps the second one current.
(function () {
  "use strict";
  function text(el, ms) {
    var d = el.dataset;
    var s = Math.floor(Math.abs(ms) / 1000);
    var days = Math.floor(s / 86400);
    var hours = Math.floor((s % 86400) / 3600);
    var minutes = Math.floor((s % 3600) / 60);
    var parts = days
      ? [days + " " + d.day, hours + " " + d.hour]
      : hours
        ? [hours + " " + d.hour, minutes + " " + d.minute]
        : [minutes + " " + d.minute];
    return (ms <= 0 ? d.overdueText : d.leftText) + " " + parts.join(" ");
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var due = Date.parse(el.dataset.countdown);
      if (!isNaN(due)) el.textContent = text(el, due - now);
    });
  }
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSettle", tick);
  setInterval(tick, 30000);
})();
