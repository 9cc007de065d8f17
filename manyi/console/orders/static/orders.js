// Order page: after a refused form, put the keyboard on the field that needs fixing.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var bad = document.querySelector('[aria-invalid="true"]');
    if (bad) bad.focus();
  });
})();
