// Starts Swagger UI (installed from npm into static/vendor) on the API docs page.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("swagger-ui");
    if (!node || typeof window.SwaggerUIBundle !== "function") { return; }
    window.SwaggerUIBundle({
      url: node.getAttribute("data-spec-url"),
      dom_id: "#swagger-ui",
      deepLinking: true
    });
  });
})();
