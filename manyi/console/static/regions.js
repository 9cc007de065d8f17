// Region pickers: <input data-region-picker="one|many"> keeps the codes (and works without this
// file); this adds a search box whose suggestions come from /regions/options as one types a name or
// a code, and choosing one puts its code in the field (appends it, for "many").
(function () {
  "use strict";

  function codes(value) {
    return value.split(/[\s,，、;；]+/).filter(Boolean);
  }

  function setUp(field, n) {
    var many = field.dataset.regionPicker === "many";
    var list = document.createElement("datalist");
    list.id = "region-options-" + n;
    var search = document.createElement("input");
    search.type = "search";
    search.id = field.id + "-search";
    search.className = "region-search";
    search.autocomplete = "off";
    search.setAttribute("list", list.id);
    search.placeholder = field.dataset.searchLabel || "";
    search.setAttribute("aria-label", field.dataset.searchLabel || "");
    field.insertAdjacentElement("afterend", search);
    search.insertAdjacentElement("afterend", list);
    var names = document.getElementById(field.id + "-names");
    var offered = {}; // the text of each suggestion -> the region
    var timer = null;
    var asked = "";

    function choose(region) {
      if (many) {
        var now = codes(field.value);
        if (now.indexOf(region.code) < 0) {
          now.push(region.code);
          if (names) names.textContent = (names.textContent.trim() ? names.textContent.trim() + "; " : "") + region.path;
        }
        field.value = now.join(", ");
      } else {
        field.value = region.code;
        if (names) names.textContent = region.path;
      }
      search.value = "";
      field.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function suggest() {
      var q = search.value.trim();
      if (!q || q === asked) return;
      asked = q;
      fetch("/regions/options?q=" + encodeURIComponent(q), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (regions) {
          if (search.value.trim() !== q) return; // typed on meanwhile: a newer answer is coming
          list.textContent = "";
          offered = {};
          regions.forEach(function (region) {
            var option = document.createElement("option");
            option.value = region.label;
            list.appendChild(option);
            offered[region.label] = region;
          });
        })
        .catch(function () {});
    }

    search.addEventListener("input", function () {
      var picked = offered[search.value];
      if (picked) return choose(picked);
      clearTimeout(timer);
      timer = setTimeout(suggest, 150);
    });
    search.addEventListener("keydown", function (ev) {
      // Enter takes the first suggestion instead of submitting the form half filled in.
      if (ev.key !== "Enter" || !search.value.trim()) return;
      ev.preventDefault();
      var first = list.querySelector("option");
      if (first && offered[first.value]) choose(offered[first.value]);
    });
  }

  document.querySelectorAll("input[data-region-picker]").forEach(setUp);
})();
