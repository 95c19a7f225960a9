// Progressive enhancement only: every page works without JavaScript.
// Skip logic (C-SSRS, PC-PTSD-5): hide follow-up questions until the gate answer makes them apply.
(function () {
  "use strict";
  function update(form) {
    form.querySelectorAll("[data-show-if]").forEach(function (fs) {
      var gate = form.querySelector('input[name="' + fs.dataset.showIf + '"]:checked');
      var visible = gate && gate.value === fs.dataset.showIfValue;
      fs.hidden = !visible;
      fs.querySelectorAll("input").forEach(function (input) {
        input.disabled = !visible;
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.screening").forEach(function (form) {
      update(form);
      form.addEventListener("change", function () { update(form); });
    });
  });
})();

// Copy and print buttons (hidden until JavaScript can make them work).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      var source = document.getElementById(button.dataset.copy);
      if (!source || !navigator.clipboard) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          var status = document.querySelector(".copied");
          if (status) { status.textContent = status.dataset.copiedText; }
        });
      });
    });
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();

// Installable app: the service worker keeps the crisis page (and the worker's safety plan) offline.
(function () {
  "use strict";
  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function () { /* offline support is optional */ });
    });
  }
})();

// A code delivered after "#" (a pulse invitation link): browsers never send the fragment, so the code
// reaches no URL, proxy log or Referer. Post it with the page's own form, then drop it from the address bar.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-fragment-field]");
    var code = window.location.hash.slice(1);
    if (!form || !code) { return; }
    var input = form.querySelector('[name="' + form.dataset.fragmentField + '"]');
    if (!input) { return; }
    history.replaceState(null, "", window.location.pathname + window.location.search);
    try { input.value = decodeURIComponent(code); } catch (e) { input.value = code; }
    form.submit();
  });
})();
