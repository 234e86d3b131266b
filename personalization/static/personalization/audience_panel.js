/* The segment editor's live audience (Segments > Add / Edit): how many known people the rules match.

   The page arrives with the count for the rules as saved. The counting is the shared live count
   (core/live_count.js, as in the campaign editor): the rules and All/Any are what it depends on (not the
   name, description or priority); after a change to them the form is posted to the audience view and the
   answer replaces the panel's body. Without JavaScript the count is shown when the form comes back from
   saving. */
(function () {
    "use strict";

    function isRuleField(name) {
        return name === "match" || name.indexOf("rules-") === 0;
    }

    function start(panel) {
        window.SignalpageLiveCount.start(panel, {
            body: panel.querySelector("[data-pz-audience-body]"),
            status: panel.querySelector("[data-pz-audience-status]"),
            isField: isRuleField,
            failure: "The audience could not be counted just now; it is counted again when you change a " +
                "rule, and shown when you save."
        });
    }

    function startAll() {
        if (!window.SignalpageLiveCount) {
            return; // the shared script could not be had: the count is shown when the form is saved
        }
        document.querySelectorAll("[data-pz-audience-panel]").forEach(start);
    }

    // The panel's media lists core/live_count.js before this script.
    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", startAll);
    } else {
        startAll();
    }
}());
