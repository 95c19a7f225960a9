// Opt-in browser notifications: subscribe through the portal's service worker and hand the
// subscription to the server. Without support (or JavaScript) the page says so and nothing happens.
(function () {
  "use strict";
  var box = document.getElementById("push");
  if (!box || !box.dataset.pushKey) return;
  var button = box.querySelector(".push-enable");
  var status = box.querySelector(".push-status");
  var needsJs = box.querySelector(".push-needs-js");
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) return;
  if (needsJs) needsJs.hidden = true;
  button.hidden = false;

  function keyBytes(b64) {
    var padded = (b64 + "===".slice((b64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return m ? decodeURIComponent(m[1]) : (field ? field.value : "");
  }
  button.addEventListener("click", function () {
    button.disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") throw new Error(button.dataset.denied || "denied");
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      return reg.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.pushKey)});
    }).then(function (sub) {
      return fetch(box.dataset.pushUrl, {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()},
        body: JSON.stringify({subscription: sub.toJSON()})
      });
    }).then(function (response) {
      return response.json().then(function (data) { status.textContent = data.detail; });
    }).catch(function () {
      status.textContent = box.dataset.failed || "Notifications could not be turned on in this browser.";
    }).finally(function () { button.disabled = false; });
  });
})();
