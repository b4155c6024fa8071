(function () {
  "use strict";
  // Everything from the data is untrusted model output: it only ever reaches the page through
  // textContent and setAttribute on attributes that cannot run code. No innerHTML, no links.
  var D = document;
  function $(id) { return D.getElementById(id); }
  var meta = JSON.parse($("meta").textContent);
  var I18N = meta.i18n;
  var ui = "ko";
  var data = null, view = [], page = 0, size = 50, openSeq = {};
  var HANGUL = /[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]/;

  function t(key) { var e = I18N[ui]; return (e && e[key]) || I18N.ko[key] || key; }
  function el(tag, cls, text) {
    var n = D.createElement(tag);
    if (cls) { n.className = cls; }
    if (text !== undefined && text !== null) { n.textContent = String(text); }
    return n;
  }
  function fmt(n) { return Number(n).toLocaleString(ui === "ko" ? "ko-KR" : "en-US"); }

  function applyLang() {
    D.documentElement.lang = ui;
    D.documentElement.setAttribute("data-ui", ui);
    var nodes = D.querySelectorAll("[data-t]");
    for (var i = 0; i < nodes.length; i++) { nodes[i].textContent = t(nodes[i].getAttribute("data-t")); }
    nodes = D.querySelectorAll("[data-t-aria]");
    for (i = 0; i < nodes.length; i++) { nodes[i].setAttribute("aria-label", t(nodes[i].getAttribute("data-t-aria"))); }
    $("lang-toggle").textContent = t("toggle");
    $("f-q").setAttribute("placeholder", t("search_ph"));
    if (data) { fillFilters(); render(); countTables(); }
  }

  // ---- data -----------------------------------------------------------------------------
  // Large runs come in several data elements (built in parallel); they are merged in order.
  function decode() {
    var nodes = D.querySelectorAll("script[data-part]");
    if (!nodes.length) { return Promise.reject(new Error("no data")); }
    var parts = [];
    for (var i = 0; i < nodes.length; i++) { parts.push(decodePart(nodes[i])); }
    return Promise.all(parts).then(function (ds) {
      var d = ds[0];
      for (var j = 1; j < ds.length; j++) { d.chunks = d.chunks.concat(ds[j].chunks); }
      return unpack(d);
    });
  }
  function decodePart(node) {
    if (node.getAttribute("data-encoding") === "gzip+base64") {
      var bytes;
      if (typeof Uint8Array.fromBase64 === "function") { bytes = Uint8Array.fromBase64(node.textContent); }
      else {
        var bin = atob(node.textContent);
        bytes = new Uint8Array(bin.length);
        for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
      }
      var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
      return new Response(stream).text().then(JSON.parse);
    }
    return Promise.resolve(JSON.parse(node.textContent));
  }
  // Row layout (see suho/report/_pagedata.py ROW_FIELDS).
  var R = meta.fields;
  // The data comes in columnar chunks (see suho/report/_pagedata.py): turn them into rows, give
  // each row its verdict list, and fill in prompts sent once for a run of equal ones (null).
  function unpack(d) {
    var rows = [], orig = null, prompt = null, nf = d.fields.length, vi = R.verdicts;
    for (var c = 0; c < d.chunks.length; c++) {
      var ch = d.chunks[c], n = ch[0].length, v = ch[vi], base = rows.length;
      for (var i = 0; i < n; i++) {
        var r = new Array(nf);
        for (var k = 0; k < nf; k++) { r[k] = ch[k][i]; }
        r[vi] = [];
        if (r[R.orig] === null) { r[R.orig] = orig; } else { orig = r[R.orig]; }
        if (r[R.prompt] === null) { r[R.prompt] = prompt; } else { prompt = r[R.prompt]; }
        rows.push(r);
      }
      for (var j = 0; j < v[0].length; j++) {
        rows[base + v[0][j]][vi].push([v[1][j], v[2][j], v[3][j], v[4][j], v[5][j]]);
      }
    }
    d.rows = rows;
    d.chunks = null;
    return d;
  }
  function dict(name, i) { return i < 0 ? null : data.dict[name][i]; }
  function outcomeKey(r) {
    var st = r[R.status];
    if (st === 2) { return "error"; }
    if (st === 0) { return "pending"; }
    if (r[R.success] === 1) { return "success"; }
    return dict("outcome", r[R.outcome]) || "complied";
  }

  // ---- filters --------------------------------------------------------------------------
  var F = { lang: -1, cat: -1, tr: -1, out: "", q: "" };
  function options(select, values, labels, current) {
    while (select.firstChild) { select.removeChild(select.firstChild); }
    var all = el("option", null, t("all"));
    all.value = "";
    select.appendChild(all);
    for (var i = 0; i < values.length; i++) {
      var o = el("option", null, labels ? labels[i] : values[i]);
      o.value = String(values[i]);
      select.appendChild(o);
    }
    select.value = current === -1 || current === "" ? "" : String(current);
  }
  function idx(names) { var out = []; for (var i = 0; i < names.length; i++) { out.push(i); } return out; }
  function fillFilters() {
    var d = data.dict;
    options($("f-lang"), idx(d.lang), d.lang, F.lang);
    options($("f-cat"), idx(d.cat), d.cat, F.cat);
    options($("f-tr"), idx(d.tr), d.tr, F.tr);
    var outs = ["success", "refused", "partial", "complied", "non-answer", "error", "pending"];
    var labels = [t("o_success"), t("o_refused"), t("o_partial"), t("o_complied"), t("o_non-answer"), t("o_error"), t("o_pending")];
    options($("f-out"), outs, labels, F.out);
  }
  function readFilters() {
    function num(id) { var v = $(id).value; return v === "" ? -1 : parseInt(v, 10); }
    F.lang = num("f-lang"); F.cat = num("f-cat"); F.tr = num("f-tr");
    F.out = $("f-out").value; F.q = $("f-q").value.trim().toLowerCase();
  }
  function refilter() {
    readFilters();
    var rows = data.rows, out = [];
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      if (F.lang >= 0 && r[R.lang] !== F.lang) { continue; }
      if (F.cat >= 0 && r[R.cat] !== F.cat) { continue; }
      if (F.tr >= 0 && r[R.tr] !== F.tr) { continue; }
      if (F.out && outcomeKey(r) !== F.out) { continue; }
      if (F.q) {
        var hay = (data.dict.probe[r[R.probe]] + "\n" + (r[R.prompt] || "") + "\n" + (r[R.response] || "")).toLowerCase();
        if (hay.indexOf(F.q) < 0) { continue; }
      }
      out.push(i);
    }
    view = out; page = 0; render();
  }

  // ---- rendering ------------------------------------------------------------------------
  function textBlock(text, cut, lang) {
    var wrap = el("div");
    var pre = el("p", "txt", text === null || text === undefined ? "–" : text);
    if (lang) { pre.setAttribute("lang", lang); }
    wrap.appendChild(pre);
    if (text && cut) { wrap.appendChild(el("span", "cut", t("truncated"))); }
    return wrap;
  }
  function langOf(text, fallback) { return text ? (HANGUL.test(text) ? "ko" : "en") : fallback; }
  function badge(r) {
    var k = outcomeKey(r);
    var label = k === "success" ? (r[R.expected] === 1 ? t("o_over") : t("o_success")) : t("o_" + k);
    return el("span", "badge b-" + k, label);
  }
  function verdictList(r) {
    var ul = el("ul", "verdicts"), vs = r[R.verdicts] || [];
    for (var i = 0; i < vs.length; i++) {
      var v = vs[i];
      var text = dict("det", v[0]) + ": " + (v[1] ? t("hit") : t("miss")) + " (" + v[2] + ", " + dict("stage", v[3]) + (v[4] >= 0 ? ", " + dict("label", v[4]) : "") + ")";
      ul.appendChild(el("li", null, text));
    }
    return ul;
  }
  function turnList(turns, plang) {
    var ol = el("ol", "turns");
    for (var i = 0; i < turns.length; i++) {
      var tu = turns[i], li = el("li", "turn turn-" + tu[0]);
      var head = t("turn_" + tu[0]) || tu[0];
      if (tu[2] !== null && tu[2] !== undefined) { head += " · " + t("turn_no") + " " + tu[2]; }
      if (tu[5]) { head += " · " + tu[5]; }
      if (tu[3] !== null && tu[3] !== undefined) { head += " · " + t("turn_rating") + " " + tu[3] + "/10"; }
      li.appendChild(el("span", "turn-head", head));
      if (tu[4].indexOf("b") >= 0) { li.appendChild(el("span", "badge b-refused", t("turn_backtracked"))); }
      if (tu[4].indexOf("p") >= 0) { li.appendChild(el("span", "badge b-error", t("turn_pruned"))); }
      li.appendChild(textBlock(tu[1], 0, langOf(tu[1], plang)));
      ol.appendChild(li);
    }
    return ol;
  }
  function detailRow(r, cols) {
    var tr = el("tr", "detail"), td = el("td");
    td.colSpan = cols;
    var dl = el("dl"), plang = dict("lang", r[R.lang]);
    function item(key, node) { dl.appendChild(el("dt", null, t(key))); var dd = el("dd"); dd.appendChild(node); dl.appendChild(dd); }
    item("probe", el("span", null, data.dict.probe[r[R.probe]] + " · #" + r[R.seq] + " · " + dict("attack", r[R.attack]) + " · " + r[R.repeat]));
    item("original_prompt", textBlock(r[R.orig], r[R.tcut] & 1, plang));
    item("prompt", textBlock(r[R.prompt], r[R.tcut] & 2, plang));
    item("response", textBlock(r[R.response], r[R.cut], langOf(r[R.response], null)));
    if (r[R.turns]) { item("conversation", turnList(r[R.turns], plang)); }
    if (r[R.status] === 2) { item("error", textBlock((dict("err", r[R.err]) || "") + (r[R.edetail] ? ": " + r[R.edetail] : ""), 0, null)); }
    item("verdicts", verdictList(r));
    td.appendChild(dl); tr.appendChild(td);
    return tr;
  }
  function render() {
    var body = $("tbody");
    while (body.firstChild) { body.removeChild(body.firstChild); }
    var pages = Math.max(1, Math.ceil(view.length / size));
    if (page >= pages) { page = pages - 1; }
    var start = page * size, end = Math.min(view.length, start + size);
    if (view.length === 0) {
      var trn = el("tr"), tdn = el("td", null, t("no_rows"));
      tdn.colSpan = 10; trn.appendChild(tdn); body.appendChild(trn);
    }
    for (var i = start; i < end; i++) {
      var r = data.rows[view[i]], plang = dict("lang", r[R.lang]);
      var tr = el("tr");
      tr.setAttribute("data-seq", String(r[R.seq]));
      tr.setAttribute("data-outcome", outcomeKey(r));
      tr.appendChild(el("td", "num", r[R.seq]));
      tr.appendChild(el("td", "id", data.dict.probe[r[R.probe]]));
      tr.appendChild(el("td", null, plang));
      tr.appendChild(el("td", "id", dict("cat", r[R.cat])));
      tr.appendChild(el("td", "id", dict("tr", r[R.tr])));
      var oc = el("td"); oc.appendChild(badge(r)); tr.appendChild(oc);
      var pc = el("td"); pc.appendChild(textBlock(r[R.prompt], r[R.tcut] & 2, plang)); tr.appendChild(pc);
      var rc = el("td");
      if (r[R.status] === 2) { rc.appendChild(textBlock(dict("err", r[R.err]) || t("o_error"), 0, null)); }
      else { rc.appendChild(textBlock(r[R.response], r[R.cut], langOf(r[R.response], null))); }
      tr.appendChild(rc);
      var vc = el("td"); vc.appendChild(verdictList(r)); tr.appendChild(vc);
      var bc = el("td"), btn = el("button", "more", openSeq[r[R.seq]] ? t("hide") : t("details"));
      btn.type = "button";
      btn.setAttribute("aria-expanded", openSeq[r[R.seq]] ? "true" : "false");
      btn.setAttribute("data-seq", String(r[R.seq]));
      bc.appendChild(btn); tr.appendChild(bc);
      body.appendChild(tr);
      if (openSeq[r[R.seq]]) { body.appendChild(detailRow(r, 10)); }
    }
    $("p-num").value = String(page + 1);
    $("p-num").max = String(pages);
    $("p-total").textContent = t("of") + " " + fmt(pages);
    $("p-first").disabled = $("p-prev").disabled = page === 0;
    $("p-next").disabled = $("p-last").disabled = page >= pages - 1;
    $("status").removeAttribute("data-t");
    $("status").textContent = ui === "ko"
      ? fmt(data.rows.length) + t("shown") + " " + fmt(view.length) + t("matching")
      : fmt(view.length) + " " + t("shown") + " " + fmt(data.rows.length) + " " + t("matching");
  }
  function go(p) { page = p; render(); }

  // Verdict stages and deciding detectors, counted from the data itself.
  function countTables() {
    var stages = {}, decided = {}, rows = data.rows;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i], vs = r[R.verdicts];
      for (var j = 0; j < vs.length; j++) {
        var key = vs[j][0] + "\u001f" + vs[j][3];
        stages[key] = (stages[key] || 0) + 1;
      }
      if (r[R.status] === 1) { var d = r[R.decided]; decided[d] = (decided[d] || 0) + 1; }
    }
    function fill(id, entries) {
      var body = $(id);
      while (body.firstChild) { body.removeChild(body.firstChild); }
      entries.sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0; });
      for (var k = 0; k < entries.length; k++) {
        var tr = el("tr"), e = entries[k];
        tr.appendChild(el("th", null, e[0]));
        for (var m = 1; m < e.length; m++) { tr.appendChild(el("td", typeof e[m] === "number" ? "num" : null, typeof e[m] === "number" ? fmt(e[m]) : e[m])); }
        body.appendChild(tr);
      }
    }
    var se = [];
    Object.keys(stages).forEach(function (k) { var p = k.split("\u001f"); se.push([dict("det", +p[0]), dict("stage", +p[1]), stages[k]]); });
    var de = [];
    Object.keys(decided).forEach(function (k) { de.push([+k < 0 ? "–" : dict("det", +k), decided[k]]); });
    fill("stages-body", se);
    fill("decided-body", de);
  }

  // ---- wiring ---------------------------------------------------------------------------
  $("lang-toggle").addEventListener("click", function () { ui = ui === "ko" ? "en" : "ko"; applyLang(); });
  $("filters").addEventListener("submit", function (e) { e.preventDefault(); });
  ["f-lang", "f-cat", "f-tr", "f-out"].forEach(function (id) { $(id).addEventListener("change", function () { if (data) { refilter(); } }); });
  var timer = 0;
  $("f-q").addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(function () { if (data) { refilter(); } }, 200); });
  $("f-size").addEventListener("change", function () { size = parseInt($("f-size").value, 10) || 50; page = 0; if (data) { render(); } });
  $("p-first").addEventListener("click", function () { go(0); });
  $("p-prev").addEventListener("click", function () { go(Math.max(0, page - 1)); });
  $("p-next").addEventListener("click", function () { go(page + 1); });
  $("p-last").addEventListener("click", function () { go(Math.ceil(view.length / size) - 1); });
  $("p-num").addEventListener("change", function () {
    var p = parseInt($("p-num").value, 10);
    if (p >= 1) { go(Math.min(p, Math.max(1, Math.ceil(view.length / size))) - 1); }
  });
  $("tbody").addEventListener("click", function (e) {
    var b = e.target;
    if (!b || b.tagName !== "BUTTON" || !b.hasAttribute("data-seq")) { return; }
    var seq = b.getAttribute("data-seq");
    openSeq[seq] = !openSeq[seq];
    render();
    var again = D.querySelector('button.more[data-seq="' + seq + '"]');
    if (again) { again.focus(); }
  });

  applyLang();
  decode().then(function (d) {
    data = d;
    for (var i = 0; i < data.rows.length; i++) { view.push(i); }
    fillFilters();
    render();
    countTables();
    D.documentElement.setAttribute("data-ready", "1");
  }, function (err) {
    $("status").removeAttribute("data-t");
    $("status").textContent = t("load_failed") + ": " + String(err && err.message ? err.message : err);
    D.documentElement.setAttribute("data-ready", "error");
  });
})();
