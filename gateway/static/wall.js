// Parvis wall: the composer's Markdown preview, shown in place.
// Progressive enhancement: without this script the Preview button posts the form
// to the preview page, which works the same.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  function showPreview(button) {
    var form = button.form;
    var output = form && form.querySelector("[data-preview-output]");
    var body = form && form.querySelector("textarea[name=body]");
    var token = form && form.querySelector("input[name=csrf_token]");
    if (!output || !body || !token) { return false; }
    var data = new FormData();
    data.append("csrf_token", token.value);
    data.append("body", body.value);
    data.append("partial", "1");
    button.disabled = true;
    fetch(button.getAttribute("data-preview-url"), {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "text/html" }
    }).then(function (response) {
      if (response.status !== 200 && response.status !== 422) { throw new Error(String(response.status)); }
      return response.text();
    }).then(function (html) {
      // the server rendered and sanitised this HTML (allow-list), as for every post
      output.innerHTML = html;
      output.hidden = false;
    }).catch(function () {
      output.textContent = button.getAttribute("data-preview-error") || "";
      output.hidden = false;
    }).then(function () {
      button.disabled = false;
    });
    return true;
  }

  ready(function () {
    if (!window.fetch || !window.FormData) { return; }
    document.querySelectorAll("[data-preview-button]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        if (showPreview(button)) { event.preventDefault(); }
      });
    });
  });
})();
