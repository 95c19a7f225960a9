// Push handling for the portal's service worker (imported by it). The payload is neutral text and a
// path on this site; nothing personal is shown or cached.
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  event.waitUntil(self.registration.showNotification(data.title || "Respite", {
    body: data.body || "", tag: "respite", data: {url: data.url || "/"}
  }));
});
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/";
  if (url.charAt(0) !== "/") url = "/";
  event.waitUntil(self.clients.openWindow(url));
});
