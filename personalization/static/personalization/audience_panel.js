/* The segment editor's live audience (Segments > Add / Edit): how many known people the rules match.

   The page arrives with the count for the rules as saved. After a change to the rules the form is
   posted to the audience view and the answer replaces the panel's body: at once for a choice (fact,
   operator, "not", All/Any, deleting a rule), and TYPING_PAUSE_MS after the marketer stops typing a
   value. Nothing else sends a request: not the page loading, not the panel's own re-render (replacing
   its HTML fires no input or change event), not the fields outside the rules (name, priority...), and
   not a change that leaves the rules as they were (leaving a field after typing in it).

   An earlier inline version watched the whole form with a MutationObserver; the panel is inside the
   form, so every answer it wrote into the page was itself a mutation that asked for the next count:
   three requests a second for as long as the editor stayed open. Without JavaScript the count is
   shown when the form comes back from saving. */
(function () {
    "use strict";

    var TYPING_PAUSE_MS = 500;

    function isRuleField(field) {
        var name = (field && field.name) || "";
        return name === "match" || name.indexOf("rules-") === 0;
    }

    function isTyped(field) {
        // Text is counted after a pause; choices (select, checkbox) on their change event, at once.
        return field.tagName === "TEXTAREA" || (field.tagName === "INPUT" &&
            ["checkbox", "radio", "hidden", "submit", "button"].indexOf(field.type) === -1);
    }

    function rulesOf(form) {
        // What the count depends on: the rules and All/Any (not the name, description or priority).
        var parts = [];
        new FormData(form).forEach(function (value, name) {
            if (isRuleField({name: name})) {
                parts.push(name + "=" + value);
            }
        });
        return parts.join("&");
    }

    function start(panel) {
        var form = panel.closest("form");
        var body = panel.querySelector("[data-pz-audience-body]");
        var status = panel.querySelector("[data-pz-audience-status]");
        if (!form || !body || panel.hasAttribute("data-pz-audience-live")) {
            return;
        }
        panel.setAttribute("data-pz-audience-live", "");
        var counted = rulesOf(form); // the rules the count on screen is for
        var timer = null;
        var pending = null; // the request in flight, if any

        function busy(on) {
            if (on) {
                panel.setAttribute("aria-busy", "true");
            } else {
                panel.removeAttribute("aria-busy");
            }
            status.hidden = !on;
        }

        function count() {
            timer = null;
            var rules = rulesOf(form);
            if (rules === counted) {
                return;
            }
            counted = rules;
            if (pending) {
                pending.abort(); // only the answer for the latest rules is shown
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
                message.textContent = "The audience could not be counted just now; it is counted again " +
                    "when you change a rule, and shown when you save.";
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
            if (isRuleField(event.target) && isTyped(event.target)) {
                later(TYPING_PAUSE_MS);
            }
        });
        form.addEventListener("change", function (event) {
            // Also Wagtail's "delete rule", which sets the rule's DELETE field and fires change on it.
            if (isRuleField(event.target)) {
                later(0);
            }
        });
    }

    function startAll() {
        document.querySelectorAll("[data-pz-audience-panel]").forEach(start);
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", startAll);
    } else {
        startAll();
    }
}());
