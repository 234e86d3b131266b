/* The webinar's watch page (templates/events/watch.html).
 *
 * Registrants: during the event the open page tells the server once that this person is watching
 * (attendance is a POST sent by a browser, never a GET that a mail scanner could send too).
 * Everyone else: the preview player is replaced by the "register to keep watching" gate after the
 * event's preview seconds. Kept out of the page itself: the Content-Security-Policy runs no inline script.
 */
(function () {
  "use strict";

  function recordAttendance() {
    var form = document.querySelector("[data-attendance]");
    if (!form) return;
    var token = form.querySelector("[name=csrfmiddlewaretoken]").value;
    fetch(window.location.href, {method: "POST", credentials: "same-origin", headers: {"X-CSRFToken": token}});
  }

  function endPreview() {
    var box = document.querySelector("[data-preview-seconds]");
    if (!box) return;
    var seconds = parseInt(box.dataset.previewSeconds, 10) || 0;
    setTimeout(function () {
      var player = box.querySelector("[data-preview-player]");
      if (player) player.remove();
      box.querySelector("[data-preview-gate]").hidden = false;
    }, seconds * 1000);
  }

  function start() {
    recordAttendance();
    endPreview();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
