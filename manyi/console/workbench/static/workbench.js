// Agent workbench: keyboard help for the new-order form. The form works without this file.
(function () {
  "use strict";
  // Enter in the category search box takes the first visible match instead of submitting the form.
  document.addEventListener("keydown", function (ev) {
    var box = ev.target;
    if (ev.key !== "Enter" || !box.dataset || !box.dataset.pick) return;
    var list = document.getElementById(box.dataset.pick);
    if (!list) return;
    ev.preventDefault();
    var match = Array.prototype.find.call(list.options, function (opt) {
      return !opt.hidden && opt.value !== "";
    });
    if (match) list.value = match.value;
    list.focus();
  });
  // After a refused save, start where the first problem is.
  document.addEventListener("DOMContentLoaded", function () {
    var bad = document.querySelector("form [aria-invalid=true]");
    if (bad) bad.focus();
  });
})();
