// The expertise finder's skill box (templates/experts/finder.html): the known skills offered
// as one types, from GET /api/v1/people/skills, in the box's datalist (the browser shows
// them, keyboard included). The page works without it: the form is a plain GET form.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  ready(function () {
    var box = document.querySelector("[data-testid=experts-skill][data-suggest-url]");
    var list = document.getElementById("experts-skill-list");
    if (!box || !list || !window.fetch) { return; }
    var timer = null;
    var asked = "";

    function fill(items) {
      while (list.firstChild) { list.removeChild(list.firstChild); }
      items.forEach(function (item) {
        var option = document.createElement("option");
        option.value = item.skill;  // a value, never markup
        list.appendChild(option);
      });
    }

    function ask() {
      var typed = box.value.trim();
      if (!typed || typed === asked) { return; }
      asked = typed;
      var url = box.getAttribute("data-suggest-url") + "?limit=8&prefix=" + encodeURIComponent(typed);
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { items: [] }; })
        .then(function (page) { if (box.value.trim() === typed) { fill(page.items || []); } })
        .catch(function () { /* the box works without suggestions */ });
    }

    box.addEventListener("input", function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(ask, 200);
    });
  });
})();
