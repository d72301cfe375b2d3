// Parvis: translate a post, comment or page in place, and switch back to the original.
// Progressive enhancement: without this script the "Translate" link opens the post (or
// page) rendered translated (?translate=<lang>) and "Show the original" opens it untouched.
// The HTML put in the page is the gateway's: translated Markdown rendered and sanitised
// by parvis_contracts.markdown (allow-list), like every post's own HTML.
(function () {
  "use strict";
  if (window.parvisTranslate) { return; }
  window.parvisTranslate = true;

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  function bodyOf(bar) {
    var key = bar.getAttribute("data-translation-for");
    return document.querySelector('[data-translatable="' + key + '"]');
  }

  function say(bar, message) {
    var status = bar.querySelector("[data-translation-status]");
    if (status) { status.textContent = message || ""; }
  }

  function toggleLink(bar, link, showingTranslation) {
    link.textContent = bar.getAttribute(showingTranslation ? "data-msg-original" : "data-msg-translation");
    link.setAttribute("data-showing", showingTranslation ? "translation" : "original");
  }

  // swap between the two versions kept on the element
  function swap(bar, link) {
    var body = bodyOf(bar);
    if (!body || body._parvisOther === undefined) { return false; }
    var current = body.innerHTML;
    body.innerHTML = body._parvisOther;
    body._parvisOther = current;
    var showingTranslation = link.getAttribute("data-showing") !== "translation";
    toggleLink(bar, link, showingTranslation);
    if (showingTranslation) {
      body.setAttribute("data-translated", bar.getAttribute("data-target"));
    } else {
      body.removeAttribute("data-translated");
    }
    return true;
  }

  function errorMessage(bar, status, payload) {
    var error = (payload && payload.error) || {};
    var details = error.details || {};
    if (details.code === "unsupported_pair") { return bar.getAttribute("data-msg-unsupported"); }
    if (status === 503 || status === 504 || error.code === "unavailable") {
      return bar.getAttribute("data-msg-unavailable");
    }
    return bar.getAttribute("data-msg-failed");
  }

  function translate(bar, link) {
    var body = bodyOf(bar);
    if (!body) { return false; }
    link.setAttribute("aria-disabled", "true");
    say(bar, bar.getAttribute("data-msg-working"));
    var status = 0;
    fetch(bar.getAttribute("data-api"), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRF-Token": bar.getAttribute("data-csrf") },
      body: JSON.stringify({ kind: bar.getAttribute("data-kind"), id: bar.getAttribute("data-id"),
                             target: bar.getAttribute("data-target") })
    }).then(function (response) {
      status = response.status;
      return response.json().catch(function () { return null; });
    }).then(function (payload) {
      if (status !== 200 || !payload) {
        say(bar, errorMessage(bar, status, payload));
        return;
      }
      body._parvisOther = body.innerHTML;
      body.innerHTML = payload.html;
      body.setAttribute("data-translated", payload.target);
      say(bar, bar.getAttribute("data-msg-translated"));
      link.removeAttribute("data-translate-button");
      link.setAttribute("data-translate-toggle", "");
      link.setAttribute("href", "#");
      toggleLink(bar, link, true);
    }).catch(function () {
      say(bar, bar.getAttribute("data-msg-unavailable"));
    }).then(function () {
      link.removeAttribute("aria-disabled");
    });
    return true;
  }

  ready(function () {
    if (!window.fetch || !window.JSON) { return; }
    // a page translated by the server keeps its original in a <template>
    document.querySelectorAll("[data-translate-original]").forEach(function (link) {
      var bar = link.closest("[data-translation-for]");
      var body = bar && bodyOf(bar);
      var original = document.querySelector('template[data-original-of="' + bar.getAttribute("data-translation-for") + '"]');
      if (!body || !original) { return; }
      body._parvisOther = original.innerHTML;
      link.setAttribute("data-showing", "translation");
      link.removeAttribute("data-translate-original");
      link.setAttribute("data-translate-toggle", "");
    });
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("[data-translate-button], [data-translate-toggle]");
      if (!link || link.getAttribute("aria-disabled") === "true") { return; }
      var bar = link.closest("[data-translation-for]");
      if (!bar) { return; }
      var done = link.hasAttribute("data-translate-toggle") ? swap(bar, link) : translate(bar, link);
      if (done) { event.preventDefault(); }
    });
  });
})();
