// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Ctrl+Enter (or Cmd+Enter) in a long text box submits its form, as Enter does elsewhere.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    if (!target || target.tagName !== "TEXTAREA" || !target.form) return;
    event.preventDefault();
    if (typeof target.form.requestSubmit === "function") {
      target.form.requestSubmit();
    } else {
      target.form.submit();
    }
  });
})();
