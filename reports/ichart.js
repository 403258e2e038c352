// Zoomable line charts of tradecast reports (reports/interactive.py writes their data).
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg", groups = {}, M = {l: 62, r: 12, t: 8, b: 26};
  function el(tag, attrs, parent) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function fmtv(v, f) {
    if (v === null || v === undefined) return "–";
    if (f === "pct") return (100 * v).toFixed(Math.abs(v) < 0.1 ? 2 : 1) + " %";
    if (f === "x") return v.toFixed(2) + "x";
    return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toPrecision(4);
  }
  function day(d) { return new Date(d * 864e5).toISOString().slice(0, 10); }
  function ticks(lo, hi, n) {
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n || 1))), out = [];
    [1, 2, 5, 10].some(function (m) { if ((hi - lo) / (step * m) <= n) { step *= m; return true; } });
    for (var v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) out.push(v);
    return out;
  }
  function logTicks(lo, hi) {
    // lo, hi: log10 of the axis ends; ticks in log10 of round values
    var vlo = Math.pow(10, lo), vhi = Math.pow(10, hi), out = [];
    if (vhi / vlo < 10) return ticks(vlo, vhi, 5).filter(function (v) { return v > 0; }).map(Math.log10);
    for (var e = Math.floor(lo); e <= Math.ceil(hi); e++) {
      [1, 2, 5].forEach(function (m) { var v = m * Math.pow(10, e); if (v >= vlo && v <= vhi) out.push(Math.log10(v)); });
    }
    return out.length > 8 ? out.filter(function (v) { return Math.abs(v - Math.round(v)) < 1e-9; }) : out;
  }
  function Chart(box) {
    var s = JSON.parse(box.querySelector("script").textContent), self = this;
    this.s = s; this.box = box; this.on = s.series.map(function () { return true; });
    this.lo = 0; this.hi = s.x.length - 1;
    var head = document.createElement("div"); head.className = "ichart-head";
    head.innerHTML = "<b></b><span class='ichart-hint'>drag to zoom, double-click to reset</span>";
    head.firstChild.textContent = s.title; box.appendChild(head);
    var legend = document.createElement("div"); legend.className = "ichart-legend"; box.appendChild(legend);
    s.series.forEach(function (ser, i) {
      var item = document.createElement("span"); item.className = "ichart-key";
      item.innerHTML = "<i></i>"; item.firstChild.style.background = ser.color;
      item.appendChild(document.createTextNode(ser.name));
      item.onclick = function () { self.on[i] = !self.on[i]; item.classList.toggle("off"); self.draw(); };
      legend.appendChild(item);
    });
    this.svg = el("svg", {height: s.height, width: "100%"}, box);
    this.tip = document.createElement("div"); this.tip.className = "ichart-tip"; box.appendChild(this.tip);
    var start = null, band = null;
    this.svg.addEventListener("mousedown", function (e) { start = self.idx(e); band = el("rect", {class: "ichart-band", y: M.t, height: s.height - M.t - M.b}, self.svg); });
    this.svg.addEventListener("mousemove", function (e) {
      var i = self.idx(e);
      if (band) { var a = self.px(Math.min(start, i)), b = self.px(Math.max(start, i)); band.setAttribute("x", a); band.setAttribute("width", Math.max(1, b - a)); }
      self.hover(i, e);
    });
    window.addEventListener("mouseup", function (e) {
      if (!band) return; band.remove(); band = null;
      var i = self.idx(e), a = Math.min(start, i), b = Math.max(start, i);
      if (b - a >= 2) self.zoom(a, b, true);
    });
    this.svg.addEventListener("dblclick", function () { self.zoom(0, s.x.length - 1, true); });
    this.svg.addEventListener("mouseleave", function () { self.tip.style.display = "none"; if (self.cross) self.cross.remove(); });
    if (s.group) (groups[s.group] = groups[s.group] || []).push(this);
    window.addEventListener("resize", function () { self.draw(); });
    this.draw();
  }
  Chart.prototype.width = function () { return Math.max(200, this.svg.getBoundingClientRect().width || 800); };
  Chart.prototype.px = function (i) { var w = this.width(); return M.l + (i - this.lo) / Math.max(1, this.hi - this.lo) * (w - M.l - M.r); };
  Chart.prototype.idx = function (e) {
    var r = this.svg.getBoundingClientRect(), w = this.width();
    var f = (e.clientX - r.left - M.l) / (w - M.l - M.r);
    return Math.max(this.lo, Math.min(this.hi, Math.round(this.lo + f * (this.hi - this.lo))));
  };
  Chart.prototype.zoom = function (a, b, spread) {
    var d0 = this.s.x[a], d1 = this.s.x[b];
    this.lo = a; this.hi = b; this.draw();
    if (spread && this.s.group) groups[this.s.group].forEach(function (c) {
      if (c === this) return;
      var x = c.s.x, i = 0, j = x.length - 1;
      while (i < j && x[i] < d0) i++;
      while (j > i && x[j] > d1) j--;
      c.zoom(i, j, false);
    }, this);
  };
  Chart.prototype.draw = function () {
    var s = this.s, svg = this.svg, w = this.width(), h = s.height, self = this;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    svg.setAttribute("viewBox", "0 0 " + w + " " + h);
    var lo = Infinity, hi = -Infinity, tr = s.log ? function (v) { return v > 0 ? Math.log10(v) : null; } : function (v) { return v; };
    s.series.forEach(function (ser, k) {
      if (!self.on[k]) return;
      for (var i = self.lo; i <= self.hi; i++) { var v = ser.y[i]; if (v === null) continue; v = tr(v); if (v === null) continue; if (v < lo) lo = v; if (v > hi) hi = v; }
    });
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    if (hi === lo) { hi += 1e-9 + Math.abs(hi) * 0.05; lo -= 1e-9 + Math.abs(lo) * 0.05; }
    var pad = (hi - lo) * 0.04; lo -= pad; hi += pad;
    var y = function (v) { return M.t + (1 - (v - lo) / (hi - lo)) * (h - M.t - M.b); };
    this.y = y; this.tr = tr;
    // a log axis gets round values (1.5x, 2x, 5x, 10x), not round logarithms
    var yt = s.log ? logTicks(lo, hi) : ticks(lo, hi, 5);
    yt.forEach(function (v) {
      el("line", {x1: M.l, x2: w - M.r, y1: y(v), y2: y(v), class: "ichart-grid"}, svg);
      el("text", {x: M.l - 6, y: y(v) + 4, "text-anchor": "end", class: "ichart-tick"}, svg).textContent = fmtv(s.log ? Math.pow(10, v) : v, s.fmt);
    });
    var d0 = s.x[this.lo], d1 = s.x[this.hi], yrs = (d1 - d0) / 365.25, n = Math.max(2, Math.floor((w - M.l - M.r) / 90));
    // ticks where a year (or, under three years, a month) starts: the first day the data has in it,
    // never a window's first day labelled by the year it ends (2008-12-30 is not "2008")
    var unit = yrs > 3 ? 4 : 7, starts = [];
    for (var i = this.lo; i <= this.hi; i++) {
      var lab = day(s.x[i]).slice(0, unit);
      var first = i > 0 ? day(s.x[i - 1]).slice(0, unit) !== lab : (unit === 4 ? day(s.x[i]).slice(5) <= "01-07" : day(s.x[i]).slice(8) <= "07");
      if (first) starts.push([i, lab]);
    }
    var every = Math.max(1, Math.ceil(starts.length / n));
    starts.forEach(function (st, k) {
      if (k % every) return;
      var tx = self.px(st[0]), anchor = tx > w - M.r - 30 ? "end" : tx < M.l + 20 ? "start" : "middle";
      el("text", {x: tx, y: h - 8, "text-anchor": anchor, class: "ichart-tick"}, svg).textContent = st[1];
    });
    el("text", {x: 12, y: M.t + (h - M.t - M.b) / 2, transform: "rotate(-90 12 " + (M.t + (h - M.t - M.b) / 2) + ")", "text-anchor": "middle", class: "ichart-tick"}, svg).textContent = s.ylabel;
    var per = Math.max(1, Math.floor((this.hi - this.lo) / (w - M.l - M.r) / 2));
    s.series.forEach(function (ser, k) {
      if (!self.on[k]) return;
      var d = "", pen = false;
      for (var i = self.lo; i <= self.hi; i += per) {
        var lo2 = null, hi2 = null, il = i, ih = i;
        for (var j = i; j < Math.min(i + per, self.hi + 1); j++) { var v = ser.y[j]; if (v === null) continue; v = tr(v); if (v === null) continue; if (lo2 === null || v < lo2) { lo2 = v; il = j; } if (hi2 === null || v > hi2) { hi2 = v; ih = j; } }
        if (lo2 === null) { pen = false; continue; }
        var pts = per === 1 ? [[i, lo2]] : (il < ih ? [[il, lo2], [ih, hi2]] : [[ih, hi2], [il, lo2]]);
        pts.forEach(function (p) { d += (pen ? "L" : "M") + self.px(p[0]).toFixed(1) + " " + y(p[1]).toFixed(1); pen = true; });
      }
      el("path", {d: d, stroke: ser.color, fill: "none", "stroke-width": 1.3}, svg);
    });
    el("rect", {x: M.l, y: M.t, width: w - M.l - M.r, height: h - M.t - M.b, class: "ichart-frame"}, svg);
  };
  Chart.prototype.hover = function (i, e) {
    var s = this.s, self = this;
    if (this.cross) this.cross.remove();
    this.cross = el("line", {x1: this.px(i), x2: this.px(i), y1: M.t, y2: s.height - M.b, class: "ichart-cross"}, this.svg);
    var rows = "<b>" + day(s.x[i]) + "</b>";
    s.series.forEach(function (ser, k) { if (self.on[k]) rows += "<br><i style='background:" + ser.color + "'></i>" + ser.name.replace(/[&<>]/g, "") + ": " + fmtv(ser.y[i], s.fmt); });
    this.tip.innerHTML = rows; this.tip.style.display = "block";
    var r = this.box.getBoundingClientRect(), x = e.clientX - r.left;
    this.tip.style.left = (x > r.width / 2 ? x - this.tip.offsetWidth - 14 : x + 14) + "px";
    this.tip.style.top = (e.clientY - r.top + 10) + "px";
  };
  function init() { Array.prototype.forEach.call(document.querySelectorAll(".ichart"), function (b) { new Chart(b); }); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
