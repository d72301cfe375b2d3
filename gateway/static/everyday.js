// Parvis, everyday posting and reading: the mention picker, the compact comment box, the
// small Language control, home's community picker and the time zone the profile form
// proposes. Progressive enhancement: without this script a pasted @first.last is resolved
// when the text is published, "Write a comment" opens the post's page with its full form,
// the Language control opens on a click, and the time zone is chosen from the list.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  var counter = 0;
  function newId(prefix) { counter += 1; return prefix + "-" + counter; }

  // ---------------------------------------------------------------- the mention picker
  // The ARIA 1.2 combobox pattern on a textarea: typing @ and a letter or more asks the
  // API (GET /api/v1/communities/{id}/mentionable?q=) for the people one may mention;
  // ArrowDown/ArrowUp move through them, Enter or Tab inserts the chosen one as
  // @[Name](id), Escape closes the list. Names are set as text, never as HTML.

  //: the "@letters" just before the caret: at the start, or after a space or a bracket
  var TRIGGER = /(^|[\s(])@([^\s@\[\]()]{1,60})$/;

  function MentionPicker(textarea) {
    this.textarea = textarea;
    this.items = [];
    this.active = -1;
    this.timer = null;
    this.asked = "";
    this.listbox = document.createElement("ul");
    this.listbox.id = newId("mention-list");
    this.listbox.className = "mention-list";
    this.listbox.setAttribute("role", "listbox");
    this.listbox.setAttribute("aria-label", textarea.getAttribute("data-mentions-label") || "");
    this.listbox.setAttribute("data-testid", "mention-list");
    this.listbox.hidden = true;
    this.status = document.createElement("span");
    this.status.className = "visually-hidden";
    this.status.setAttribute("aria-live", "polite");
    this.status.setAttribute("data-testid", "mention-status");
    textarea.parentNode.insertBefore(this.listbox, textarea.nextSibling);
    textarea.parentNode.insertBefore(this.status, this.listbox.nextSibling);
    textarea.setAttribute("role", "combobox");
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-expanded", "false");
    textarea.setAttribute("aria-controls", this.listbox.id);
    var self = this;
    textarea.addEventListener("input", function () { self.onInput(); });
    textarea.addEventListener("keydown", function (event) { self.onKey(event); });
    textarea.addEventListener("blur", function () { window.setTimeout(function () { self.close(); }, 150); });
    this.listbox.addEventListener("mousedown", function (event) {
      var option = event.target.closest("[role=option]");
      if (!option) { return; }
      event.preventDefault();  // keep the focus in the text
      self.choose(Number(option.getAttribute("data-index")));
    });
  }

  MentionPicker.prototype.typed = function () {
    var text = this.textarea.value.slice(0, this.textarea.selectionStart);
    var match = TRIGGER.exec(text);
    return match ? { query: match[2], start: text.length - match[2].length - 1 } : null;
  };

  MentionPicker.prototype.onInput = function () {
    var self = this;
    var typed = this.typed();
    window.clearTimeout(this.timer);
    if (!typed) { this.close(); return; }
    this.timer = window.setTimeout(function () { self.ask(typed.query); }, 150);
  };

  MentionPicker.prototype.ask = function (query) {
    var self = this;
    var url = this.textarea.getAttribute("data-mentions");
    if (!url) { return; }
    this.asked = query;
    fetch(url + "?q=" + encodeURIComponent(query.replace(/\./g, " ")), {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      var typed = self.typed();
      if (!typed || typed.query !== query) { return; }  // the person typed on meanwhile
      self.show((data && data.items) || []);
    }).catch(function () { self.close(); });
  };

  MentionPicker.prototype.show = function (items) {
    this.items = items;
    this.active = items.length ? 0 : -1;
    while (this.listbox.firstChild) { this.listbox.removeChild(this.listbox.firstChild); }
    if (!items.length) {
      this.status.textContent = this.textarea.getAttribute("data-mentions-none") || "";
      this.close(true);
      return;
    }
    for (var i = 0; i < items.length; i += 1) {
      var option = document.createElement("li");
      option.id = this.listbox.id + "-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("data-index", String(i));
      option.setAttribute("data-testid", "mention-option");
      option.setAttribute("data-person-id", items[i].id);
      var name = document.createElement("span");
      name.textContent = items[i].display_name;
      option.appendChild(name);
      if (items[i].org_name || items[i].job_title) {
        var detail = document.createElement("span");
        detail.className = "muted";
        detail.textContent = " " + (items[i].job_title || items[i].org_name);
        option.appendChild(detail);
      }
      this.listbox.appendChild(option);
    }
    this.listbox.hidden = false;
    this.textarea.setAttribute("aria-expanded", "true");
    this.status.textContent = String(items.length);
    this.highlight();
  };

  MentionPicker.prototype.highlight = function () {
    var options = this.listbox.querySelectorAll("[role=option]");
    for (var i = 0; i < options.length; i += 1) {
      options[i].setAttribute("aria-selected", i === this.active ? "true" : "false");
    }
    if (this.active >= 0 && options[this.active]) {
      this.textarea.setAttribute("aria-activedescendant", options[this.active].id);
      options[this.active].scrollIntoView({ block: "nearest" });
    } else {
      this.textarea.removeAttribute("aria-activedescendant");
    }
  };

  MentionPicker.prototype.isOpen = function () { return !this.listbox.hidden; };

  MentionPicker.prototype.close = function (keepStatus) {
    this.listbox.hidden = true;
    this.items = [];
    this.active = -1;
    this.textarea.setAttribute("aria-expanded", "false");
    this.textarea.removeAttribute("aria-activedescendant");
    if (!keepStatus) { this.status.textContent = ""; }
  };

  MentionPicker.prototype.onKey = function (event) {
    if (!this.isOpen()) { return; }
    if (event.key === "ArrowDown") {
      this.active = (this.active + 1) % this.items.length;
      this.highlight();
      event.preventDefault();
    } else if (event.key === "ArrowUp") {
      this.active = (this.active - 1 + this.items.length) % this.items.length;
      this.highlight();
      event.preventDefault();
    } else if (event.key === "Enter" || event.key === "Tab") {
      if (this.active >= 0) {
        event.preventDefault();
        this.choose(this.active);
      }
    } else if (event.key === "Escape") {
      event.preventDefault();
      this.close();
    }
  };

  MentionPicker.prototype.choose = function (index) {
    var item = this.items[index];
    var typed = this.typed();
    if (!item || !typed) { this.close(); return; }
    var value = this.textarea.value;
    var caret = this.textarea.selectionStart;
    var inserted = item.mention + " ";
    this.textarea.value = value.slice(0, typed.start) + inserted + value.slice(caret);
    var at = typed.start + inserted.length;
    this.textarea.setSelectionRange(at, at);
    this.close();
    this.textarea.focus();
  };

  // ---------------------------------------------------------------- the rest

  function openCommentBox(link) {
    var form = document.getElementById(link.getAttribute("data-comment-open"));
    if (!form) { return false; }
    form.hidden = false;
    link.hidden = true;
    var text = form.querySelector("textarea");
    if (text) { text.focus(); }
    return true;
  }

  function proposeTimeZone(select) {
    if (select.value) { return; }
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
    if (!zone) { return; }
    for (var i = 0; i < select.options.length; i += 1) {
      if (select.options[i].value === zone) {
        select.value = zone;
        var note = document.getElementById(select.getAttribute("data-propose-zone"));
        if (note) { note.hidden = false; }
        return;
      }
    }
  }

  ready(function () {
    if (window.fetch) {
      document.querySelectorAll("textarea[data-mentions]").forEach(function (textarea) {
        textarea.mentionPicker = new MentionPicker(textarea);
      });
    }
    // home: the mention picker follows the community chosen
    document.querySelectorAll("select[data-composer-community]").forEach(function (select) {
      select.addEventListener("change", function () {
        var option = select.options[select.selectedIndex];
        var text = select.form.querySelector("textarea[data-mentions]");
        if (option && text) { text.setAttribute("data-mentions", option.getAttribute("data-mentions")); }
      });
    });
    document.querySelectorAll("[data-comment-open]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (openCommentBox(link)) { event.preventDefault(); }
      });
    });
    document.querySelectorAll("[data-language-control]").forEach(function (control) {
      var select = control.querySelector("select");
      var shown = control.querySelector("[data-language-chosen]");
      if (!select || !shown) { return; }
      select.addEventListener("change", function () {
        shown.textContent = select.options[select.selectedIndex].textContent;
      });
    });
    document.querySelectorAll("select[data-propose-zone]").forEach(proposeTimeZone);
  });
})();
