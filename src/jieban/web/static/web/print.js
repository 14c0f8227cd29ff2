// The print pages' "Print" button (data-print): the Content-Security-Policy runs no inline
// event handler, so the button is wired here.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-print]") : null;
    if (!button) return;
    event.preventDefault();
    window.print();
  });
})();
