// Parvis web UI: small progressive enhancements; every page works without them.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  ready(function () {
    // phone layout: open and close the navigation
    var toggle = document.querySelector(".nav-toggle");
    var nav = document.getElementById("main-nav");
    if (toggle && nav) {
      toggle.addEventListener("click", function () {
        var open = nav.classList.toggle("open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }

    // the language select submits its form on change
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
      var button = select.form.querySelector("button[type=submit]");
      if (button) { button.classList.add("js-hidden"); }
    });

    // forms asking for a confirmation first
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });

    // copy buttons
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy"));
        if (!source) { return; }
        source.select();
        if (navigator.clipboard) { navigator.clipboard.writeText(source.value); }
        else { document.execCommand("copy"); }
      });
    });

    // the bell's count, live: the hub's stream (gateway/live); EventSource reconnects by
    // itself (the hub says when), and stops for good at a 401 or when the session ended
    var bell = document.querySelector("[data-testid=nav-notifications][data-live-url]");
    if (bell && window.EventSource) {
      var stream = new EventSource(bell.getAttribute("data-live-url"), { withCredentials: true });
      stream.addEventListener("unread", function (event) {
        var data;
        try { data = JSON.parse(event.data); } catch (e) { return; }
        if (data && typeof data.unread === "number") { showUnread(bell, data.unread); }
      });
      stream.addEventListener("signed-out", function () { stream.close(); });
    }
  });

  // the badge as the page renders it: absent at 0, else the count with its spoken label
  function showUnread(bell, count) {
    var badge = bell.querySelector("[data-testid=bell-count]");
    if (count <= 0) {
      if (badge) { badge.parentNode.removeChild(badge); }
      return;
    }
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "badge";
      badge.setAttribute("data-testid", "bell-count");
      if (!/\s$/.test(bell.textContent)) { bell.appendChild(document.createTextNode(" ")); }
      bell.appendChild(badge);
    }
    badge.textContent = String(count);
    var label = bell.getAttribute("data-live-label");
    if (label) { badge.setAttribute("aria-label", label.replace("{count}", String(count))); }
  }
})();
