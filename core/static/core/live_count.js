/* A live count next to an admin form (the segment editor's audience, the campaign editor's audience):
   after a change to the fields the count depends on, the form is posted to the panel's data-url and the
   answer (an HTML fragment rendered by Django's templates, every name in it escaped) replaces the panel's
   body - at once for a choice (a select, a checkbox, a chooser setting its hidden input, Wagtail's
   "delete" setting a row's DELETE field) and TYPING_PAUSE_MS after the editor stops typing.

   Nothing else sends a request: not the panel's own re-render (replacing its HTML fires no input or
   change event; an earlier version watched the form with a MutationObserver, and every answer asked for
   the next count), not the fields the count does not depend on, and not a change that leaves those
   fields as they were (leaving a field after typing in it). Only the answer for the latest state is
   shown: an older request in flight is aborted. With `countOnLoad` the panel is counted once the page is
   shown (the page itself comes without the count: it can take seconds).

   SignalpageLiveCount.start(panel, {
       body, status,            // the elements to fill, and the "Counting…" line shown while asking
       isField(name),           // whether the count depends on the form field of that name
       failure,                 // the sentence shown when the count could not be had
       countOnLoad              // count at once, not only after a change
   }) */
(function () {
    "use strict";

    var TYPING_PAUSE_MS = 500;
    var STARTED = "data-live-count-started";

    function isTyped(field) {
        // Text is counted after a pause; choices (select, checkbox) on their change event, at once.
        return field.tagName === "TEXTAREA" || (field.tagName === "INPUT" &&
            ["checkbox", "radio", "hidden", "submit", "button"].indexOf(field.type) === -1);
    }

    function start(panel, options) {
        var form = panel.closest("form");
        var body = options.body;
        var status = options.status;
        if (!form || !body || panel.hasAttribute(STARTED)) {
            return;
        }
        panel.setAttribute(STARTED, "");

        function stateOf() {
            // What the count depends on, as one string: a change elsewhere in the form asks nothing.
            var parts = [];
            new FormData(form).forEach(function (value, name) {
                if (options.isField(name)) {
                    parts.push(name + "=" + value);
                }
            });
            return parts.join("&");
        }

        var counted = options.countOnLoad ? null : stateOf(); // the state the count on screen is for
        var timer = null;
        var pending = null; // the request in flight, if any

        function busy(on) {
            if (on) {
                panel.setAttribute("aria-busy", "true");
            } else {
                panel.removeAttribute("aria-busy");
            }
            if (status) {
                status.hidden = !on;
            }
        }

        function count() {
            timer = null;
            var state = stateOf();
            if (state === counted) {
                return;
            }
            counted = state;
            if (pending) {
                pending.abort();
            }
            var request = pending = new AbortController();
            var data = new FormData(form);
            busy(true);
            fetch(panel.getAttribute("data-url"), {
                method: "POST", body: data, credentials: "same-origin", signal: request.signal,
                headers: {"X-CSRFToken": data.get("csrfmiddlewaretoken") || ""}
            }).then(function (response) {
                if (!response.ok) {
                    throw new Error("HTTP " + response.status);
                }
                return response.text();
            }).then(function (html) {
                body.innerHTML = html;
            }).catch(function (error) {
                if (error.name === "AbortError") {
                    return;
                }
                counted = null; // the next change asks again
                body.innerHTML = "";
                var message = document.createElement("p");
                message.className = "error-message";
                message.textContent = options.failure;
                body.appendChild(message);
            }).finally(function () {
                if (pending === request) {
                    pending = null;
                    busy(false);
                }
            });
        }

        function later(delay) {
            clearTimeout(timer);
            timer = setTimeout(count, delay);
        }

        form.addEventListener("input", function (event) {
            if (options.isField(event.target.name || "") && isTyped(event.target)) {
                later(TYPING_PAUSE_MS);
            }
        });
        form.addEventListener("change", function (event) {
            if (options.isField(event.target.name || "")) {
                later(0);
            }
        });
        if (counted === null) {
            count();
        }
    }

    window.SignalpageLiveCount = {start: start};
}());
