/* The campaign editor's live audience (Campaigns > Add / Edit): how many people get the email now, and
   how many are left out for each reason.

   The counting is the shared live count (core/live_count.js, as in the segment editor): the audience rows
   and the topic are what it depends on. The page arrives without the count (counting 160k people took
   2.6 s of the page's load): a saved campaign's panel (data-count-on-load) asks once the page is shown,
   then after every change to the audience. Without JavaScript the campaign's Audience page has the count.

   Also here: each audience part shows only the chooser its kind needs. */
(function () {
    "use strict";

    function isAudienceField(name) {
        return name === "topic" || name.indexOf("audience-") === 0;
    }

    function start(panel) {
        window.SignalpageLiveCount.start(panel, {
            body: panel.querySelector("[data-cm-audience-body]"),
            status: panel.querySelector("[data-cm-audience-status]"),
            isField: isAudienceField,
            countOnLoad: panel.hasAttribute("data-count-on-load"),
            failure: "The audience could not be counted just now; it is counted again when you change it."
        });
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
