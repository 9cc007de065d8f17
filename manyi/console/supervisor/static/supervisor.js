// Supervisor page: the timeliness chart (Plotly, served from its PyPI package) and a refresh of the
// live counts every minute. Without JavaScript the table below the chart carries the same figures
// and a <noscript> meta refresh reloads the page.
(function () {
  "use strict";

  function drawChart() {
    var box = document.getElementById("timeliness-chart");
    var blob = document.getElementById("timeliness-data");
    if (!box || !blob || !window.Plotly) return;
    var data = JSON.parse(blob.textContent);
    if (!data.teams.length) return;
    var colours = ["#0b62c4", "#7aa7d9"];
    var traces = data.series.map(function (s, i) {
      return {
        type: "bar", name: s.name, x: data.teams, y: s.values, marker: { color: colours[i % 2] },
        text: s.values.map(function (v) { return v === null ? "—" : v + "%"; }),
        textposition: "outside", hovertemplate: "%{x}: %{text}<extra>" + s.name + "</extra>"
      };
    });
    var layout = {
      barmode: "group", margin: { t: 24, r: 16, b: 48, l: 56 },
      yaxis: { title: { text: data.yTitle }, range: [0, 110], ticksuffix: "%" },
      legend: { orientation: "h", y: 1.12 },
      shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: data.target, y1: data.target,
                 line: { color: "#a4161a", width: 1, dash: "dash" } }],
      annotations: [{ xref: "paper", x: 1, y: data.target, text: data.targetLabel, showarrow: false,
                      xanchor: "right", yanchor: "bottom", font: { color: "#a4161a", size: 11 } }],
      font: { family: getComputedStyle(document.body).fontFamily, size: 12 }
    };
    box.classList.add("drawn");
    window.Plotly.newPlot(box, traces, layout, { displayModeBar: false, responsive: true });
  }

  // Swap in the server's fresh counts and watch lists; keep the old ones if the request fails or
  // the session has ended (the login page must not land inside the supervisor page).
  function startRefresh() {
    var live = document.getElementById("live");
    if (!live || !window.fetch) return;
    var url = live.dataset.refreshUrl, seconds = parseInt(live.dataset.refreshSeconds, 10) || 60;
    setInterval(function () {
      if (document.hidden) return;
      fetch(url, { credentials: "same-origin", redirect: "manual", headers: { Accept: "text/html" } })
        .then(function (res) { return res.ok && res.type !== "opaqueredirect" ? res.text() : null; })
        .then(function (html) { if (html !== null) live.innerHTML = html; })
        .catch(function () { /* offline for a moment: try again next minute */ });
    }, seconds * 1000);
  }

  function start() { drawChart(); startRefresh(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
