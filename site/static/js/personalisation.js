// CTA click statistics for personalised blocks: a click on a link inside a variant sends its signed
// key with sendBeacon (the link itself works as usual, with or without this script).
(function () {
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-pz-variant] a[href]");
    if (!link || !navigator.sendBeacon) return;
    var variant = link.closest("[data-pz-variant]").getAttribute("data-pz-variant");
    if (!variant) return;
    var body = new FormData();
    body.append("variant", variant);
    navigator.sendBeacon("/personalisation/click/", body);
  });
})();
