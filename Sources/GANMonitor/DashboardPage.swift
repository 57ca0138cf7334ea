import Foundation

/// The dashboard page: plain HTML, CSS and JavaScript shipped inside the binary, so that it
/// works with no network and no files beside the executable. The live page polls `api/state`
/// once a second; report.html is the same page with the state inlined, drawn once.
///
/// The page marks what it has drawn in attributes of `<body>` (`data-ready`, `data-points`,
/// `data-workers`, `data-grid-loaded`, `data-finished`) so that a headless browser test can
/// wait for them.
enum DashboardPage {
    /// The live page (no data inlined).
    static var live: String { html(inlining: nil) }

    /// The page, with `state` (a `DashboardState` JSON document) inlined when given.
    static func html(inlining state: Data?) -> String {
        var inline = ""
        if let state, let text = String(data: state, encoding: .utf8) {
            // JSONEncoder writes "/" as "\/", so the data cannot close the script element;
            // the replacement guards against an encoder that does not.
            inline = "<script id=\"report-data\" type=\"application/json\">"
                + text.replacingOccurrences(of: "</", with: "<\\/") + "</script>\n"
        }
        return head + inline + body
    }

    private static let head = #"""
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>SwiftGAN run</title>
    <style>
      body { font: 14px/1.4 system-ui, sans-serif; margin: 16px 24px; color: #222; background: #fafafa; }
      h1 { font-size: 20px; margin: 0 0 4px; }
      h2 { font-size: 15px; margin: 0 0 8px; }
      #sub { color: #666; margin-bottom: 12px; }
      .row { display: flex; flex-wrap: wrap; gap: 16px; }
      .card { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 12px; }
      #bar { height: 14px; background: #eee; border-radius: 7px; overflow: hidden; margin: 6px 0; width: 100%; }
      #fill { height: 100%; width: 0; background: #3a7bd5; }
      svg { background: #fff; }
      svg text { font-size: 11px; fill: #555; }
      table { border-collapse: collapse; }
      th, td { padding: 3px 10px; text-align: right; border-bottom: 1px solid #eee; }
      th:first-child, td:first-child, th.l, td.l { text-align: left; }
      .alive { color: #1a7f37; } .late { color: #b58100; } .dead, .evicted { color: #c62828; }
      #grid { image-rendering: pixelated; max-width: 300px; width: 100%; border: 1px solid #ddd; }
      #status.bad { color: #c62828; }
      .muted { color: #888; }
    </style>
    </head>

    """#

    private static let body = #"""
    <body data-ready="0" data-points="0" data-workers="0" data-grid-loaded="0" data-finished="0">
    <h1 id="title">SwiftGAN run</h1>
    <div id="sub"></div>
    <div class="card" style="margin-bottom:16px">
      <div><b id="progress">step 0</b> <span id="eta" class="muted"></span> <span id="status" class="muted"></span></div>
      <div id="bar"><div id="fill"></div></div>
    </div>
    <div class="row">
      <div class="card"><h2>Losses</h2><svg id="losses" width="440" height="240"></svg></div>
      <div class="card"><h2>Discriminator outputs</h2><svg id="douts" width="440" height="240"></svg></div>
      <div class="card" id="frechetcard" hidden><h2>Fr&eacute;chet distance (--eval-every)</h2><svg id="frechet" width="440" height="240"></svg></div>
      <div class="card"><h2>Fixed-z samples <span id="gridstep" class="muted"></span></h2>
        <img id="grid" alt="no grid yet (image models draw one every --sample-every steps)"></div>
    </div>
    <div class="row" style="margin-top:16px">
      <div class="card" id="workerscard" hidden><h2>Workers</h2>
        <table id="workers"><thead><tr><th>id</th><th class="l">host</th><th>pid</th><th>shards</th><th>compute (last phase)</th><th>last heard</th><th>state</th></tr></thead><tbody></tbody></table></div>
      <div class="card"><h2>Checkpoints</h2>
        <table id="checkpoints"><thead><tr><th>step</th><th class="l">file</th><th>size</th><th>write</th></tr></thead><tbody></tbody></table>
        <div id="nockpt" class="muted">none yet</div></div>
    </div>
    <script>
    "use strict";
    const $ = (id) => document.getElementById(id);
    const NS = "http://www.w3.org/2000/svg";
    let gridShown = -1, finished = false;

    function fmtSeconds(s) {
      if (!isFinite(s) || s < 0) return "?";
      if (s < 1) return (s * 1000).toFixed(0) + " ms";
      if (s < 90) return s.toFixed(1) + " s";
      const m = Math.floor(s / 60);
      if (m < 90) return m + " min " + Math.round(s - 60 * m) + " s";
      return Math.floor(m / 60) + " h " + (m % 60) + " min";
    }
    function fmtBytes(b) {
      if (b >= 1e9) return (b / 1e9).toFixed(2) + " GB";
      if (b >= 1e6) return (b / 1e6).toFixed(1) + " MB";
      return (b / 1e3).toFixed(0) + " kB";
    }
    function el(tag, attrs, text) {
      const e = document.createElementNS(NS, tag);
      for (const k in attrs) e.setAttribute(k, attrs[k]);
      if (text !== undefined) e.textContent = text;
      return e;
    }
    function niceTicks(lo, hi, n) {
      const span = hi - lo || 1, raw = span / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
      const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) || raw;
      const out = [];
      for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) out.push(v);
      return out;
    }
    // One line chart: x = steps, several named series; null values break nothing (skipped).
    function chart(svg, xs, series) {
      while (svg.firstChild) svg.removeChild(svg.firstChild);
      const W = +svg.getAttribute("width"), H = +svg.getAttribute("height");
      const L = 48, R = 10, T = 10, B = 40;
      let ylo = Infinity, yhi = -Infinity;
      for (const s of series) for (const v of s.ys) if (v !== null && isFinite(v)) { ylo = Math.min(ylo, v); yhi = Math.max(yhi, v); }
      if (xs.length === 0 || !isFinite(ylo)) {
        svg.appendChild(el("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, "waiting for the first logged step"));
        return 0;
      }
      if (yhi - ylo < 1e-9) { ylo -= 0.5; yhi += 0.5; }
      const pad = (yhi - ylo) * 0.05; ylo -= pad; yhi += pad;
      const xlo = xs[0], xhi = xs[xs.length - 1] === xlo ? xlo + 1 : xs[xs.length - 1];
      const px = (x) => L + (x - xlo) / (xhi - xlo) * (W - L - R);
      const py = (y) => T + (yhi - y) / (yhi - ylo) * (H - T - B);
      for (const t of niceTicks(ylo, yhi, 5)) {
        svg.appendChild(el("line", { x1: L, x2: W - R, y1: py(t), y2: py(t), stroke: "#eee" }));
        svg.appendChild(el("text", { x: L - 4, y: py(t) + 4, "text-anchor": "end" }, +t.toPrecision(3)));
      }
      for (const t of niceTicks(xlo, xhi, 5)) {
        svg.appendChild(el("text", { x: px(t), y: H - B + 14, "text-anchor": "middle" }, t));
      }
      svg.appendChild(el("rect", { x: L, y: T, width: W - L - R, height: H - T - B, fill: "none", stroke: "#ccc" }));
      let lx = L;
      for (const s of series) {
        const pts = [];
        xs.forEach((x, i) => { const v = s.ys[i]; if (v !== null && isFinite(v)) pts.push(px(x).toFixed(1) + "," + py(v).toFixed(1)); });
        svg.appendChild(el("polyline", { points: pts.join(" "), fill: "none", stroke: s.color, "stroke-width": 1.5, "data-name": s.name }));
        svg.appendChild(el("rect", { x: lx, y: H - 16, width: 10, height: 10, fill: s.color }));
        svg.appendChild(el("text", { x: lx + 14, y: H - 7 }, s.name));
        lx += 24 + 7 * s.name.length;
      }
      return xs.length;
    }
    function cell(tr, text, cls) { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); }
    function fillTable(id, rows, make) {
      const tb = $(id).tBodies[0];
      while (tb.firstChild) tb.removeChild(tb.firstChild);
      for (const r of rows) { const tr = document.createElement("tr"); make(tr, r); tb.appendChild(tr); }
    }
    // Steps per second over this process's recent records (wall clock), for the ETA.
    function rate(st) {
      const c = st.curves, n = c.step.length;
      let i = n - 1;
      while (i > 0 && c.wall_time[i - 1] > 0 && c.wall_time[n - 1] - c.wall_time[i - 1] < 30 && n - i < 50) i--;
      if (n >= 2 && i < n - 1 && c.wall_time[i] > 0) {
        const dt = c.wall_time[n - 1] - c.wall_time[i];
        if (dt > 0) return (c.step[n - 1] - c.step[i]) / dt;
      }
      return n > 0 ? c.steps_per_s[n - 1] : null;
    }
    function render(st) {
      finished = st.finished;
      document.title = "SwiftGAN " + st.command + ": step " + st.step + "/" + st.total_steps;
      $("title").textContent = "SwiftGAN " + st.command + (st.is_report ? " report" : " dashboard");
      $("sub").textContent = st.model + " on " + st.dataset + (st.out_dir ? " \u2014 " + st.out_dir : "");
      const frac = st.total_steps > 0 ? st.step / st.total_steps : 0;
      $("fill").style.width = (100 * Math.min(frac, 1)).toFixed(1) + "%";
      $("progress").textContent = "step " + st.step + " / " + st.total_steps + " (" + (100 * frac).toFixed(1) + "%)";
      const r = rate(st);
      if (st.finished) {
        // A run stopped by a signal (or a failure) ends before its last step.
        $("eta").textContent = (st.step < st.total_steps ? "stopped after " : "finished after ") + fmtSeconds(st.now - st.started);
      } else if (st.is_report) {
        $("eta").textContent = "the run ended early (it failed; see its log)";
      } else if (r && r > 0) {
        $("eta").textContent = r.toFixed(1) + " steps/s, ETA " + fmtSeconds((st.total_steps - st.step) / r);
      } else {
        $("eta").textContent = "ETA: waiting for the first logged step";
      }
      const c = st.curves;
      const n1 = chart($("losses"), c.step, [{ name: "loss_D", ys: c.loss_d, color: "#d62728" }, { name: "loss_G", ys: c.loss_g, color: "#1f77b4" }]);
      chart($("douts"), c.step, [{ name: "D(x)", ys: c.d_x, color: "#2ca02c" }, { name: "D(G(z)) D phase", ys: c.d_g_z1, color: "#ff7f0e" },
                                  { name: "D(G(z)) G phase", ys: c.d_g_z2, color: "#9467bd" }]);
      document.body.dataset.points = String(n1);
      $("frechetcard").hidden = st.frechet.length === 0;
      if (st.frechet.length > 0) chart($("frechet"), st.frechet_step, [{ name: "Fr\u00e9chet distance", ys: st.frechet, color: "#8c564b" }]);
      if (st.grid && st.grid.step !== gridShown) {
        gridShown = st.grid.step;
        $("grid").src = st.grid.data_url || ("grid.png?step=" + st.grid.step);
        $("gridstep").textContent = "(step " + st.grid.step + ")";
      }
      fillTable("checkpoints", st.checkpoints.slice().reverse(), (tr, k) => {
        cell(tr, k.step); cell(tr, k.path.split("/").pop(), "l"); cell(tr, fmtBytes(k.bytes)); cell(tr, fmtSeconds(k.seconds));
      });
      $("nockpt").hidden = st.checkpoints.length > 0;
      $("workerscard").hidden = !st.distributed;
      fillTable("workers", st.workers, (tr, w) => {
        cell(tr, w.id); cell(tr, w.host, "l"); cell(tr, w.pid === null || w.pid === undefined ? "?" : w.pid); cell(tr, w.shards);
        cell(tr, fmtSeconds(w.compute_seconds)); cell(tr, fmtSeconds(w.last_heard_s) + " ago"); cell(tr, w.state, w.state);
      });
      document.body.dataset.workers = String(st.workers.filter((w) => w.state === "alive" || w.state === "late").length);
      document.body.dataset.finished = st.finished ? "1" : "0";
      document.body.dataset.ready = "1";
    }
    $("grid").addEventListener("load", () => { document.body.dataset.gridLoaded = "1"; });
    async function poll() {
      try {
        const res = await fetch("api/state", { cache: "no-store", credentials: "same-origin" });
        if (!res.ok) throw new Error("HTTP " + res.status);
        render(await res.json());
        $("status").textContent = finished ? "" : "live";
        $("status").className = "muted";
      } catch (e) {
        $("status").textContent = "no answer from the run (" + e.message + "): it may have ended";
        $("status").className = "bad";
      }
      if (!finished) setTimeout(poll, 1000);
    }
    const inline = $("report-data");
    if (inline) render(JSON.parse(inline.textContent)); else poll();
    </script>
    </body>
    </html>

    """#
}
