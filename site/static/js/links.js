// Page analysis (Reports -> Content performance): a click on a link of a served page reaches the lead
// store as a `link_click` custom event, through the same API a headless front end uses (POST
// /api/v1/track), with the page's path and the link. The link itself works as usual, with or without
// this script.
//
// The visitor id cookie is HttpOnly, so the script asks /api/v1/personalization/visitor for the id once
// per browser session (it also says whether this visitor may be tracked: consent, Global Privacy
// Control; the track API checks again). A link's query string is never sent: it may carry anything.
(function () {
  var KEY = "sp_link_visitor";
  var stored = null;
  try {
    stored = JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch (error) {
    stored = null;
  }
  if (!stored && window.fetch) {
    fetch("/api/v1/personalization/visitor", { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (visitor) {
        if (!visitor) return;
        stored = { id: visitor.visitor_id, tracking: !!visitor.tracking };
        try { sessionStorage.setItem(KEY, JSON.stringify(stored)); } catch (error) { /* private mode */ }
      })
      .catch(function () {});
  }

  function linkText(link) {
    var url = new URL(link.href, window.location.href);
    if (url.protocol !== "http:" && url.protocol !== "https:") return null; // mailto:, tel:, javascript:
    var text = url.origin === window.location.origin ? url.pathname + url.hash : url.origin + url.pathname;
    return text.slice(0, 255);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link || !stored || !stored.tracking || !window.fetch) return;
    var href = linkText(link);
    if (!href) return;
    var body = {
      visitor_id: stored.id,
      events: [
        {
          type: "custom_event",
          name: "link_click",
          properties: { path: window.location.pathname.slice(0, 255), href: href },
        },
      ],
    };
    // keepalive: the request outlives the page the click leaves.
    fetch("/api/v1/track", {
      method: "POST",
      keepalive: true,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }).catch(function () {});
  });
})();
