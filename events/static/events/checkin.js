/* The door's ticket scanner (Events > Check-in).

   "Scan ticket" opens the rear camera, finds QR codes and posts the ticket token to the scan URL; the
   server answers with the outcome, swapped into #scan-result by htmx. The browser's BarcodeDetector is
   used where it exists (Chrome on Android); elsewhere (Safari, Firefox) the vendored jsQR, loaded only
   then. Without a camera, or without JavaScript, the "Ticket link or code" form does the same job. */
(function () {
    "use strict";

    var root = document.querySelector("[data-scanner]");
    if (!root) {
        return;
    }
    var startButton = root.querySelector("[data-scan-start]");
    var stopButton = root.querySelector("[data-scan-stop]");
    var view = root.querySelector("[data-scan-view]");
    var video = root.querySelector("[data-scan-video]");
    var statusLine = root.querySelector("[data-scan-status]");
    var form = root.querySelector("[data-scan-form]");
    var scanUrl = root.getAttribute("data-scan-url");
    var jsqrSrc = root.getAttribute("data-jsqr-src");

    var SAME_TICKET_PAUSE_MS = 4000; // a ticket held in front of the camera is read many times a second
    var FRAME_INTERVAL_MS = 150;

    var stream = null;
    var detect = null;
    var timer = null;
    var busy = false;
    var lastToken = "";
    var lastTokenAt = 0;

    function say(text) {
        statusLine.textContent = text;
    }

    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        // Browsers open the camera only on HTTPS (or localhost).
        say("This browser can't open the camera here: use the ticket field below.");
        return;
    }
    startButton.hidden = false;

    // The QR code holds the ticket's address, .../e/tickets/<token>/: the token is what the server checks.
    function tokenFrom(text) {
        var match = /\/tickets\/([^\/?#\s]+)/.exec(text || "");
        var token = match ? match[1] : (text || "").trim();
        try {
            return decodeURIComponent(token);
        } catch (error) {
            return token;
        }
    }

    function csrfToken() {
        var input = form.querySelector("input[name=csrfmiddlewaretoken]");
        return input ? input.value : "";
    }

    function loadScript(src) {
        return new Promise(function (resolve, reject) {
            var script = document.createElement("script");
            script.src = src;
            script.onload = resolve;
            script.onerror = function () {
                reject(new Error("could not load the QR decoder"));
            };
            document.head.appendChild(script);
        });
    }

    function nativeDetector() {
        if (!("BarcodeDetector" in window)) {
            return Promise.resolve(null);
        }
        return window.BarcodeDetector.getSupportedFormats()
            .then(function (formats) {
                if (formats.indexOf("qr_code") === -1) {
                    return null;
                }
                var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
                return function (source) {
                    return detector.detect(source).then(function (codes) {
                        return codes.length ? codes[0].rawValue : null;
                    });
                };
            })
            .catch(function () {
                return null;
            });
    }

    function jsqrDetector() {
        var ready = window.jsQR ? Promise.resolve() : loadScript(jsqrSrc);
        return ready.then(function () {
            var canvas = document.createElement("canvas");
            var context = canvas.getContext("2d", { willReadFrequently: true });
            return function (source) {
                var width = source.videoWidth;
                var height = source.videoHeight;
                if (!width || !height) {
                    return Promise.resolve(null);
                }
                // Smaller frames decode much faster on a phone and a ticket fills the picture anyway.
                var scale = Math.min(1, 640 / Math.max(width, height));
                canvas.width = Math.round(width * scale);
                canvas.height = Math.round(height * scale);
                context.drawImage(source, 0, 0, canvas.width, canvas.height);
                var image = context.getImageData(0, 0, canvas.width, canvas.height);
                var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
                return Promise.resolve(code ? code.data : null);
            };
        });
    }

    function send(token) {
        if (navigator.vibrate) {
            navigator.vibrate(60);
        }
        if (window.htmx) {
            return window.htmx.ajax("POST", scanUrl, {
                target: "#scan-result",
                swap: "innerHTML",
                values: { ticket: token },
                headers: { "X-CSRFToken": csrfToken() },
            });
        }
        // htmx did not load: the plain form posts it and the page comes back with the outcome.
        form.querySelector("input[name=ticket]").value = token;
        form.submit();
        return Promise.resolve();
    }

    function tick() {
        if (!stream || busy) {
            return;
        }
        busy = true;
        detect(video)
            .then(function (text) {
                if (!text) {
                    return null;
                }
                var token = tokenFrom(text);
                var now = Date.now();
                if (!token || (token === lastToken && now - lastTokenAt < SAME_TICKET_PAUSE_MS)) {
                    return null;
                }
                lastToken = token;
                lastTokenAt = now;
                say("Ticket read: checking…");
                return send(token).then(function () {
                    say("Point the camera at the next ticket.");
                });
            })
            .catch(function () {
                // One unreadable frame is normal; the next one is tried.
            })
            .then(function () {
                busy = false;
            });
    }

    function stop() {
        window.clearInterval(timer);
        timer = null;
        if (stream) {
            stream.getTracks().forEach(function (track) {
                track.stop();
            });
        }
        stream = null;
        video.srcObject = null;
        view.hidden = true;
        startButton.hidden = false;
    }

    function start() {
        say("Opening the camera…");
        startButton.hidden = true;
        nativeDetector()
            .then(function (found) {
                return found || jsqrDetector();
            })
            .then(function (found) {
                detect = found;
                return navigator.mediaDevices.getUserMedia({
                    video: { facingMode: { ideal: "environment" } },
                    audio: false,
                });
            })
            .then(function (opened) {
                stream = opened;
                video.srcObject = stream;
                view.hidden = false;
                return video.play();
            })
            .then(function () {
                say("Point the camera at the ticket's QR code.");
                timer = window.setInterval(tick, FRAME_INTERVAL_MS);
            })
            .catch(function (error) {
                stop();
                say("The camera could not be opened (" + (error && error.name ? error.name : error) +
                    "): use the ticket field below.");
            });
    }

    startButton.addEventListener("click", start);
    stopButton.addEventListener("click", stop);
    // A phone in a pocket should not keep the camera (and the battery) busy.
    document.addEventListener("visibilitychange", function () {
        if (document.hidden && stream) {
            stop();
            say("Scanning paused: tap “Scan ticket” to go on.");
        }
    });
})();
