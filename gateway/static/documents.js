// Parvis documents: uploads with a progress bar and drag and drop.
// Each file goes to the REST API as the raw request body (never a form), so the
// gateway streams it to storage without holding it in memory.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  function messageFor(zone, status) {
    if (status === 413) { return zone.getAttribute("data-msg-too-large"); }
    if (status === 409) { return zone.getAttribute("data-msg-conflict"); }
    if (status === 422) { return zone.getAttribute("data-msg-invalid"); }
    if (status === 403) { return zone.getAttribute("data-msg-forbidden"); }
    return zone.getAttribute("data-msg-failed");
  }

  function uploadUrl(zone, file) {
    var url = zone.getAttribute("data-url");
    var params = ["name=" + encodeURIComponent(file.name)];
    var folder = zone.getAttribute("data-folder-id");
    if (folder && zone.getAttribute("data-mode") !== "version") {
      params.push("folder_id=" + encodeURIComponent(folder));
    }
    var comment = zone.querySelector("[data-upload-comment]");
    if (comment && comment.value) { params.push("comment=" + encodeURIComponent(comment.value)); }
    return url + (url.indexOf("?") === -1 ? "?" : "&") + params.join("&");
  }

  function row(zone, file) {
    var item = document.createElement("li");
    item.className = "upload-item";
    item.setAttribute("data-testid", "upload-item");
    item.setAttribute("data-state", "pending");
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("data-testid", "upload-progress");
    var status = document.createElement("span");
    status.className = "upload-status";
    status.setAttribute("data-testid", "upload-status");
    status.setAttribute("role", "status");
    item.appendChild(name);
    item.appendChild(bar);
    item.appendChild(status);
    zone.querySelector("[data-upload-list]").appendChild(item);
    return { item: item, bar: bar, status: status };
  }

  function send(zone, file, done) {
    var view = row(zone, file);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", uploadUrl(zone, file));
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", zone.getAttribute("data-csrf"));
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) { view.bar.value = Math.round(100 * event.loaded / event.total); }
    });
    xhr.addEventListener("load", function () {
      var ok = xhr.status >= 200 && xhr.status < 300;
      view.item.setAttribute("data-state", ok ? "done" : "error");
      view.item.setAttribute("data-status", String(xhr.status));
      if (ok) {
        view.bar.value = 100;
        view.status.textContent = zone.getAttribute("data-msg-done");
      } else {
        var text = messageFor(zone, xhr.status);
        try {
          var body = JSON.parse(xhr.responseText);
          if (body && body.error && body.error.message && xhr.status !== 413) {
            text += " (" + body.error.message + ")";
          }
        } catch (ignored) { /* not JSON: keep the generic message */ }
        view.status.textContent = text;
      }
      done(ok);
    });
    xhr.addEventListener("error", function () {
      view.item.setAttribute("data-state", "error");
      view.status.textContent = zone.getAttribute("data-msg-failed");
      done(false);
    });
    xhr.send(file);
  }

  function uploadAll(zone, files) {
    var list = Array.prototype.slice.call(files);
    if (!list.length) { return; }
    if (zone.getAttribute("data-mode") === "version") { list = list.slice(0, 1); }
    var failures = 0;
    var index = 0;
    zone.setAttribute("data-busy", "true");
    function next() {
      if (index >= list.length) {
        zone.removeAttribute("data-busy");
        if (!failures) { window.location.reload(); }
        return;
      }
      var file = list[index];
      index += 1;
      send(zone, file, function (ok) {
        if (!ok) { failures += 1; }
        next();
      });
    }
    next();
  }

  ready(function () {
    document.querySelectorAll("[data-upload]").forEach(function (zone) {
      var input = zone.querySelector("[data-upload-input]");
      if (input) {
        input.addEventListener("change", function () {
          uploadAll(zone, input.files);
          input.value = "";
        });
      }
      ["dragenter", "dragover"].forEach(function (kind) {
        zone.addEventListener(kind, function (event) {
          event.preventDefault();
          zone.classList.add("dragging");
        });
      });
      ["dragleave", "drop"].forEach(function (kind) {
        zone.addEventListener(kind, function () { zone.classList.remove("dragging"); });
      });
      zone.addEventListener("drop", function (event) {
        event.preventDefault();
        if (event.dataTransfer && event.dataTransfer.files) { uploadAll(zone, event.dataTransfer.files); }
      });
    });
  });
})();
