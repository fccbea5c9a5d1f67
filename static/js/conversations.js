// 消息: after a message is sent (htmx), keep the focus in the emptied box and
// scroll the newest message into view when one arrives.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "compose") {
      var box = document.getElementById("id_body");
      if (box) { box.focus(); }
    }
    if (target && target.id === "poller") {
      var list = document.getElementById("msg-list");
      var last = list && list.querySelector(".msg:last-of-type");
      if (last && event.detail.xhr && event.detail.xhr.responseText.indexOf('class="msg') !== -1) {
        last.scrollIntoView({ block: "nearest" });
      }
    }
  });
  window.addEventListener("load", function () {
    var list = document.getElementById("msg-list");
    if (list && !window.location.search) {
      var msgs = list.querySelectorAll(".msg");
      if (msgs.length) { msgs[msgs.length - 1].scrollIntoView({ block: "nearest" }); }
    }
  });
})();
