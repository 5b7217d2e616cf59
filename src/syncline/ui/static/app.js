// Syncline's pages work without this file; it adds what a browser knows better.
(function () {
  "use strict";

  // Times arrive as exact UTC; show them in the browser's zone, UTC on hover.
  function localTimes(root) {
    var format = new Intl.DateTimeFormat(undefined, {
      year: "numeric", month: "short", day: "numeric",
      hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short"
    });
    root.querySelectorAll("time[datetime]").forEach(function (element) {
      if (element.dataset.local) { return; }
      var when = new Date(element.getAttribute("datetime"));
      if (isNaN(when.getTime())) { return; }
      element.textContent = format.format(when);
      element.dataset.local = "1";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    document.body.addEventListener("htmx:afterSettle", function (event) {
      localTimes(event.target);
    });
    // Writes made by htmx carry the session's CSRF token, as forms do.
    document.body.addEventListener("htmx:configRequest", function (event) {
      var token = document.body.dataset.csrf;
      if (token) { event.detail.headers["X-CSRF-Token"] = token; }
    });
  });
})();
