// Manyi console: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  var lang = document.documentElement.lang === "en" ? "en" : "zh";
  var U = lang === "en" ? { d: "d", h: "h", m: "m" } : { d: "天", h: "小时", m: "分" };

  // Past the deadline: "超时 10天9小时" / "overdue 10d 9h", as the server renders it (templating.duration).
  function fmt(seconds) {
    var late = seconds < 0;
    var gap = late && lang === "zh" ? "" : " ";
    var total = Math.floor(Math.abs(seconds) / 60);
    var days = Math.floor(total / 1440), hours = Math.floor((total % 1440) / 60), minutes = total % 60;
    var text = days ? days + U.d + gap + hours + U.h
      : hours ? hours + U.h + gap + String(minutes).padStart(2, "0") + U.m
      : minutes + U.m;
    if (!late) return text;
    return lang === "en" ? "overdue " + text : "超时 " + text;
  }

  // SLA countdowns: <span class="clock" data-due="ISO" data-warn="ISO" data-state="running">.
  // Natural-time clocks count down live; working-time clocks are refreshed by the server (the
  // browser does not know the calendar), so they only change colour when their instants pass.
  // Count from the server's clock, not the PC's: a workstation set a few minutes (or days) off must
  // not paint a deadline red that is not due.
  var serverNow = Date.parse(document.body.dataset.serverNow || "");
  var skew = isNaN(serverNow) ? 0 : serverNow - Date.now();

  function tick() {
    var now = Date.now() + skew;
    document.querySelectorAll(".clock[data-due]").forEach(function (el) {
      if (el.dataset.state !== "running") return;
      var due = Date.parse(el.dataset.due), warn = Date.parse(el.dataset.warn || el.dataset.due);
      el.classList.remove("ok", "warning", "breached");
      el.classList.add(now >= due ? "breached" : now >= warn ? "warning" : "ok");
      var left = el.querySelector(".left");
      if (left && el.dataset.live === "1") left.textContent = fmt((due - now) / 1000);
    });
  }
  setInterval(tick, 30000);
  document.addEventListener("DOMContentLoaded", tick);

  // Buttons that need a second thought: <button data-confirm="…">.
  document.addEventListener("click", function (ev) {
    var el = ev.target.closest("[data-confirm]");
    if (el && !window.confirm(el.dataset.confirm)) ev.preventDefault();
  });

  // "Go back" links on error pages: <a data-back href="/">, the previous page when there is one.
  document.addEventListener("click", function (ev) {
    var el = ev.target.closest("a[data-back]");
    if (el && window.history.length > 1) {
      ev.preventDefault();
      window.history.back();
    }
  });

  // Select-all checkboxes for bulk actions: <input type="checkbox" data-select-all="name">.
  document.addEventListener("change", function (ev) {
    var name = ev.target.dataset && ev.target.dataset.selectAll;
    if (!name) return;
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
      box.checked = ev.target.checked;
    });
  });

  // Filter a long option list as you type: <input data-filter-list="ID"> over <select id="ID">.
  document.addEventListener("input", function (ev) {
    var id = ev.target.dataset && ev.target.dataset.filterList;
    if (!id) return;
    var needle = ev.target.value.trim().toLowerCase();
    var list = document.getElementById(id);
    if (!list) return;
    Array.prototype.forEach.call(list.options || list.children, function (opt) {
      var text = (opt.textContent || "").toLowerCase();
      opt.hidden = needle !== "" && text.indexOf(needle) < 0;
    });
  });
})();
