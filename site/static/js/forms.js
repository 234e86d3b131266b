/* Lead forms with htmx: after the panel is swapped in, move focus to its errors or its success
 * message so keyboard and screen-reader users hear what happened. Without JavaScript the form
 * posts normally and the page reloads with the same content. */
(function () {
  "use strict";
  document.addEventListener("htmx:afterSettle", function (event) {
    var panel = event.detail && event.detail.elt;
    if (!panel || !panel.querySelector) return;
    var target = panel.matches && panel.matches("[data-focus-after-swap]") ? panel
      : panel.querySelector("[data-focus-after-swap]");
    if (target) target.focus();
  });
})();
