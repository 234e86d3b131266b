/* Click-to-play video facades (see templates/blocks/video_embed.html).
 *
 * Without this script a facade is a plain link to the video's own site. With it, the link is
 * swapped for a play button, and pressing play replaces the poster with the player iframe kept
 * in an inert <template>, so nothing is fetched from the video host before the visitor asks.
 */
(function () {
  "use strict";

  function upgrade(root) {
    var videos = root.querySelectorAll ? root.querySelectorAll("[data-video]") : [];
    Array.prototype.forEach.call(videos, function (video) {
      var button = video.querySelector("[data-video-play]");
      var fallback = video.querySelector("[data-video-fallback]");
      var template = video.querySelector("template[data-video-template]");
      if (!button || !template || !("content" in template)) return;
      button.hidden = false;
      if (fallback) fallback.hidden = true;
    });
  }

  function play(button) {
    var video = button.closest("[data-video]");
    var template = video && video.querySelector("template[data-video-template]");
    var frame = video && video.querySelector("[data-video-frame]");
    if (!template || !frame) return;
    var player = template.content.cloneNode(true);
    frame.replaceChildren(player);
    frame.classList.add("is-playing");
    var iframe = frame.querySelector("iframe");
    if (iframe) iframe.focus();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-video-play]");
    if (button) play(button);
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { upgrade(document); });
  } else {
    upgrade(document);
  }
  // Content swapped in by htmx gets the same treatment.
  document.addEventListener("htmx:load", function (event) { upgrade(event.target); });
})();
