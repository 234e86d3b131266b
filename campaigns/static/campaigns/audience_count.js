/* The campaign editor's live audience (Campaigns > Add / Edit): how many people get the email now, and
   how many are left out for each reason.

   The same approach as the segment editor's count (personalization/audience_panel.js), except that the
   page arrives without the count (counting 160k people took 2.6 s of the page's load): a saved
   campaign's panel (data-count-on-load) posts the form once the page is shown. After that, a change to
   the audience rows or the topic posts the form to the count view and the answer replaces the panel's
   body - at once for a choice (kind, "exclude", a chooser, the topic, deleting a row) and
   TYPING_PAUSE_MS after the marketer stops typing. Nothing else sends a request: not the panel's own
   re-render, not the fields outside the audience (subject, body...), and not a change that leaves the
   audience as it was. Only the answer for the latest audience is shown (an older request in flight is
   aborted). Without JavaScript the campaign's Audience page has the count. */
(function () {
    "use strict";

    var TYPING_PAUSE_MS = 500;

    function isAudienceField(name) {
        name = name || "";
        return name === "topic" || name.indexOf("audience-") === 0;
    }

    function isTyped(field) {
        return field.tagName === "TEXTAREA" || (field.tagName === "INPUT" &&
            ["checkbox", "radio", "hidden", "submit", "button"].indexOf(field.type) === -1);
    }

    function audienceOf(form) {
        var parts = [];
        new FormData(form).forEach(function (value, name) {
            if (isAudienceField(name)) {
                parts.push(name + "=" + value);
            }
        });
        return parts.join("&");
    }

    function start(panel) {
        var form = panel.closest("form");
        var body = panel.querySelector("[data-cm-audience-body]");
        var status = panel.querySelector("[data-cm-audience-status]");
        if (!form || !body || panel.hasAttribute("data-cm-audience-live")) {
            return;
        }
        panel.setAttribute("data-cm-audience-live", "");
        // On load nothing is counted yet (null): the first count() asks whatever the form holds.
        var counted = panel.hasAttribute("data-count-on-load") ? null : audienceOf(form);
        var timer = null;
        var pending = null;

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
            var audience = audienceOf(form);
            if (audience === counted) {
                return;
            }
            counted = audience;
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
                body.innerHTML = html; // rendered by Django's templates: every name in it is escaped
            }).catch(function (error) {
                if (error.name === "AbortError") {
                    return;
                }
                counted = null; // the next change asks again
                body.innerHTML = "";
                var message = document.createElement("p");
                message.className = "error-message";
                message.textContent = "The audience could not be counted just now; it is counted again " +
                    "when you change it, and shown when you save.";
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
            if (isAudienceField(event.target.name) && isTyped(event.target)) {
                later(TYPING_PAUSE_MS);
            }
        });
        form.addEventListener("change", function (event) {
            // Also a chooser setting its hidden input, and Wagtail's "delete" setting a row's DELETE field.
            if (isAudienceField(event.target.name)) {
                later(0);
            }
        });
        if (counted === null) {
            count();
        }
    }

    // Each audience part shows only the chooser its kind needs (a tag for "Tag", an event for both event
    // kinds...); a part with no kind yet shows them all. Hidden choosers keep their values: the server
    // reads only the one the kind names.
    var TARGET_OF_KIND = {
        segment: "segment", saved_filter: "saved_filter", tag: "tag",
        event_registered: "event", event_attended: "event", whitepaper: "whitepaper"
    };
    var TARGETS = ["segment", "saved_filter", "tag", "event", "whitepaper"];

    function showTargetOf(kindField) {
        var prefix = kindField.name.slice(0, -"kind".length);
        var wanted = TARGET_OF_KIND[kindField.value];
        TARGETS.forEach(function (target) {
            var field = kindField.form && kindField.form.elements[prefix + target];
            var wrapper = field && (field.length && !field.tagName ? field[0] : field).closest(".w-panel__wrapper");
            if (wrapper) {
                wrapper.hidden = Boolean(wanted) && target !== wanted;
            }
        });
    }

    function isKindField(field) {
        return /^audience-\d+-kind$/.test(field.name || "");
    }

    function startAll() {
        document.querySelectorAll("[data-cm-audience-panel]").forEach(start);
        document.querySelectorAll("select[name^='audience-']").forEach(function (field) {
            if (isKindField(field)) {
                showTargetOf(field);
            }
        });
        document.addEventListener("change", function (event) {
            if (isKindField(event.target)) {
                showTargetOf(event.target);
            }
        });
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", startAll);
    } else {
        startAll();
    }
}());
