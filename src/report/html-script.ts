/**
 * The HTML report's script (plain JavaScript, inlined; no library, no network). It reads the
 * page model (html-model.ts) from #qp-data and draws on demand: the drill-down (national →
 * province → regency → district → sites), the groups table (search, status filter, sort,
 * pages), the map's points with zoom and pan, and the time series of what is selected.
 * Cells are made by the same rules as the server's first page (render-html.ts cellHtml).
 */
import { H, PAD, W } from './html-charts.js';

export const pageScript = (): string => String.raw`
(function () {
  var D = JSON.parse(document.getElementById('qp-data').textContent), L = D.L;
  // Unpack what html-model.ts packed: group codes, names as their region path, sites' codes, rich cells.
  D.gc = D.gc.map(function (c, i) { return c === 0 ? D.rows[i][D.rk] : c; });
  D.rows.forEach(function (r, i) {
    var n = r[D.by.length], c = D.gc[i];
    if (Array.isArray(n)) r[D.by.length] = [2, 5, 8].filter(function (k) { return k < c.length; }).map(function (k) { return D.names[c.slice(0, k)]; }).concat(n).join(' / ');
  });
  D.sites.forEach(function (s) { if (s[0] === 0) s[0] = D.gc[s[8]]; });
  D.rows.forEach(function (r) { for (var j = 0; j < r.length; j++) if (D.cols[j].t === 'r' && typeof r[j] === 'number') r[j] = D.rc[r[j]]; });
  var esc = function (s) { return String(s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; }); };
  function cellHtml(col, c, extra) {
    extra = extra || '';
    if (Array.isArray(c)) return '<td' + (c[1] ? ' class="' + c[1] + '"' : '') + ' data-v="' + esc(c[2] == null ? '' : c[2]) + '"' + extra + '>' + esc(c[0]) + '</td>';
    if (col.t === 'n') return '<td class="n" data-v="' + (c == null ? '' : c) + '"' + extra + '>' + (c == null ? '-' : (c / (col.s || 1)).toFixed(col.d == null ? 1 : col.d)) + '</td>';
    var v = c == null ? '' : String(c);
    if (col.t === 's') return '<td class="s"' + (v ? ' title="' + esc(v) + '"' : '') + ' data-v="' + esc(v) + '"' + extra + '>' + esc(v) + '</td>';
    return '<td class="k" data-v="' + esc(v) + '"' + extra + '>' + esc(v) + '</td>';
  }
  function sortValue(c) { return Array.isArray(c) ? c[2] : c; }
  function cmp(x, y) {
    var ex = x == null || x === '', ey = y == null || y === '';
    if (ex || ey) return ex === ey ? 0 : ex ? 1 : -1; // no value: always last
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x).localeCompare(String(y), 'en', { numeric: true });
  }

  // A sortable, paged table over row ids: cells(id) gives the cells in column order.
  function Grid(table, cols, cells, opts) {
    var self = this, ids = [], col = -1, dir = 1, page = 0, size = opts.size || 50;
    var pager = opts.pager;
    if (!table.tHead) {
      table.createTHead().innerHTML = '<tr>' + cols.map(function (c, i) { return '<th data-col="' + i + '" data-num="' + (c.t === 'n' ? 1 : 0) + '">' + esc(c.h) + '</th>'; }).join('') + '</tr>';
    }
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th) {
      th.addEventListener('click', function () {
        var c = +th.getAttribute('data-col');
        dir = col === c ? -dir : 1; col = c;
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
        sort(); page = 0; self.render();
      });
    });
    function sort() {
      if (col < 0) return;
      ids.sort(function (a, b) { var x = sortValue(cells(a)[col]), y = sortValue(cells(b)[col]); var r = cmp(x, y); return (x == null || x === '' || y == null || y === '') ? r : dir * r; });
    }
    this.set = function (list) { ids = list; sort(); page = 0; self.render(); };
    this.ids = function () { return ids; };
    this.render = function () {
      var from = page * size, slice = ids.slice(from, from + size);
      table.tBodies[0].innerHTML = slice.map(function (id) {
        return '<tr' + (opts.trAttr ? opts.trAttr(id) : '') + '>' + cells(id).map(function (c, j) { return cellHtml(cols[j], c, j === 0 && opts.idAttr ? ' ' + opts.idAttr + '="' + esc(id) + '"' : ''); }).join('') + '</tr>';
      }).join('');
      if (pager) {
        var pages = Math.max(1, Math.ceil(ids.length / size));
        pager.hidden = ids.length <= size && !opts.alwaysPager;
        pager.querySelector('.qp-page-info').textContent = L.rowsOf.replace('{a}', ids.length ? from + 1 : 0).replace('{b}', Math.min(ids.length, from + size)).replace('{n}', ids.length);
        pager.querySelector('.qp-prev').disabled = page === 0;
        pager.querySelector('.qp-next').disabled = page >= pages - 1;
        pager.setAttribute('data-page', String(page + 1)); pager.setAttribute('data-pages', String(pages)); pager.setAttribute('data-rows', String(ids.length));
      }
    };
    if (pager) {
      pager.querySelector('.qp-prev').addEventListener('click', function () { if (page > 0) { page--; self.render(); } });
      pager.querySelector('.qp-next').addEventListener('click', function () { if ((page + 1) * size < ids.length) { page++; self.render(); } });
      var sz = pager.querySelector('.qp-size');
      if (sz) sz.addEventListener('change', function () { size = +sz.value; page = 0; self.render(); });
    }
  }

  // ---- regions: the drill-down tree from the sites (their own counts), or the groups without sites
  var LEN = [0, 2, 5, 8];
  var CODE = /^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$/;
  var units = D.sites.length
    ? D.sites.map(function (s, i) { return { code: s[0], rec: s[4], ok: s[5], partial: s[6], error: s[7], site: i }; })
    : D.gk.map(function (k, i) { return { code: D.gc[i], rec: k[0], ok: k[1], partial: k[2], error: k[3], site: -1 }; });
  units.forEach(function (u) { if (u.code !== null && !CODE.test(u.code)) u.code = null; u.dead = u.ok === 0 && u.partial === 0; });
  function under(code, node) { return node === '' || (code !== null && (code === node || code.indexOf(node + '.') === 0)); }
  function depth(node) { return node === '' ? 0 : LEN.indexOf(node.length); }
  function nameOf(code) { return code === '' ? L.national : D.names[code] || ''; }
  var node = '';
  var groupSites = D.gk.map(function () { return []; });
  D.sites.forEach(function (s, i) { groupSites[s[8]].push(i); });

  function summarize(node) {
    var d = depth(node), kids = {}, direct = [], tot = { sites: 0, dead: 0, rec: 0, ok: 0 };
    units.forEach(function (u) {
      if (!under(u.code, node)) return;
      tot.sites++; tot.dead += u.dead ? 1 : 0; tot.rec += u.rec; tot.ok += u.ok;
      if (d < 3 && u.code !== null && u.code.length >= LEN[d + 1]) {
        var k = u.code.slice(0, LEN[d + 1]), a = kids[k] || (kids[k] = { sites: 0, dead: 0, rec: 0, ok: 0 });
        a.sites++; a.dead += u.dead ? 1 : 0; a.rec += u.rec; a.ok += u.ok;
      } else if (u.site >= 0) direct.push(u.site);
    });
    return { kids: kids, direct: direct, tot: tot };
  }
  var kidCols = [{ h: L.code, t: 'k' }, { h: L.name, t: 's' }, { h: L.sites, t: 'n', d: 0 }, { h: L.dead, t: 'n', d: 0 }, { h: L.records, t: 'n', d: 0 }, { h: L.avail, t: 'n', d: 1 }];
  var kidData = {};
  var kidGrid = new Grid(document.getElementById('qp-kids'), kidCols, function (k) { var a = kidData[k]; return [k, nameOf(k), a.sites, a.dead, a.rec, a.rec ? Math.round(1e5 * a.ok / a.rec) / 1e3 : null]; },
    { size: 50, pager: document.getElementById('qp-kids-pager'), trAttr: function (k) { return ' data-node="' + esc(k) + '" tabindex="0" class="qp-drill' + (kidData[k].dead === kidData[k].sites ? ' dead' : '') + '"'; } });
  var siteCols = [{ h: L.site, t: 's' }, { h: L.code, t: 'k' }, { h: L.records, t: 'n', d: 0 }, { h: 'ok', t: 'n', d: 0 }, { h: 'partial', t: 'n', d: 0 }, { h: 'error', t: 'n', d: 0 }, { h: L.avail, t: 'n', d: 1 }, { h: L.group, t: 'r' }];
  if (D.ops.length) siteCols.push({ h: L.operator, t: 's' });
  function siteCells(i) {
    var s = D.sites[i], g = s[8], dead = s[5] === 0 && s[6] === 0, ovc = D.ov >= 0 ? D.rows[g][D.ov] : null;
    var c = [s[1] || '', s[0] || '', s[4], s[5], s[6], s[7], s[4] ? Math.round(1e5 * s[5] / s[4]) / 1e3 : null, dead ? [L.neverAnswered, 'fail dead', -1] : ovc ? [ovc[0], ovc[1], ovc[2]] : ['', '', '']];
    if (D.ops.length) c.push(s[10] >= 0 ? D.ops[s[10]] : '');
    return c;
  }
  var siteGrid = new Grid(document.getElementById('qp-site-list'), siteCols, siteCells,
    { size: 50, pager: document.getElementById('qp-site-pager'), trAttr: function (i) { var s = D.sites[i]; return s[5] === 0 && s[6] === 0 ? ' class="dead"' : ''; } });

  // ---- the groups table
  var gCols = D.cols, search = document.getElementById('qp-search'), statusSel = document.getElementById('qp-status'), opSel = document.getElementById('qp-operator');
  // Operators: a group matches when one of its sites' records named the operator.
  var groupOps = D.gk.map(function () { return {}; });
  D.sites.forEach(function (s) { if (s[10] >= 0) groupOps[s[8]][s[10]] = 1; });
  if (D.ops.length) {
    D.ops.forEach(function (o, i) { var e = document.createElement('option'); e.value = String(i); e.textContent = o; opSel.appendChild(e); });
    document.getElementById('qp-operator-box').hidden = false;
  }
  var hay = null;
  function haystack(i) {
    if (!hay) hay = D.rows.map(function (r, gi) {
      var h = r.slice(0, D.by.length + 1).join(' ');
      groupSites[gi].forEach(function (si) { h += ' ' + (D.sites[si][1] || '') + ' ' + (D.sites[si][0] || ''); });
      return h.toLowerCase();
    });
    return hay[i];
  }
  function inNode(i) {
    // Groups by endpoint, test or probe are not regions: every level shows them all (the page says so).
    if (node === '' || D.rk === -1) return true;
    var c = D.gc[i];
    return c !== null && (c === node || c.indexOf(node + '.') === 0 || node.indexOf(c + '.') === 0);
  }
  var groupGrid = new Grid(document.getElementById('qp-table'), gCols, function (i) { return D.rows[i]; }, { size: 50, pager: document.getElementById('qp-pager'), idAttr: 'data-g' });
  function filterGroups() {
    var q = search.value.trim().toLowerCase(), st = statusSel.value, op = opSel.value, out = [];
    for (var i = 0; i < D.rows.length; i++) {
      if (!inNode(i)) continue;
      var s = D.st[i];
      if (st === 'pass' && s[0] !== 'p') continue;
      if (st === 'fail' && s[0] !== 'f') continue;
      if (st === 'none' && s[0] !== 'n') continue;
      if (st === 'down' && s.indexOf('d') < 0) continue;
      if (st === 'dead' && s.indexOf('x') < 0) continue;
      if (op !== '' && !groupOps[i][op]) continue;
      if (q && haystack(i).indexOf(q) < 0) continue;
      out.push(i);
    }
    groupGrid.set(out);
    document.getElementById('qp-table').setAttribute('data-rows', String(out.length));
  }
  search.addEventListener('input', filterGroups);
  statusSel.addEventListener('change', filterGroups);
  opSel.addEventListener('change', filterGroups);

  // ---- the map: points drawn from the sites, each with its own truth; zoom and pan
  var map = document.getElementById('qp-map'), circles = [];
  var NS = 'http://www.w3.org/2000/svg';
  if (map && D.proj) {
    var layer = document.getElementById('qp-sites'), P = D.proj, MW = +map.getAttribute('data-w'), MH = +map.getAttribute('data-h');
    var vb = { x: 0, y: 0, w: MW, h: MH };
    D.sites.forEach(function (s, i) {
      if (s[2] === null || s[3] === null) return;
      var g = s[8], st = D.st[g][0], dead = s[5] === 0 && s[6] === 0, ovc = D.ov >= 0 ? D.rows[g][D.ov] : null;
      var c = document.createElementNS(NS, 'circle');
      c.setAttribute('class', 'qp-site ' + (st === 'p' ? 'pass' : st === 'f' ? 'fail' : 'none') + (dead ? ' dead' : '') + (s[9] ? ' silent' : ''));
      c.setAttribute('cx', ((s[3] - P.west) * P.k).toFixed(1));
      c.setAttribute('cy', ((P.north - s[2]) * P.k).toFixed(1));
      c.setAttribute('r', '5');
      c.setAttribute('data-lat', String(s[2]));
      c.setAttribute('data-lon', String(s[3]));
      c.setAttribute('data-site', String(i));
      var tt = document.createElementNS(NS, 'title');
      tt.textContent = (s[1] || '') + ' (' + (s[0] || '') + '): ' + (dead ? L.neverAnswered + ', ' : '') + s[4] + ' ' + L.records + ' (ok ' + s[5] + ', partial ' + s[6] + ', error ' + s[7] + ')' +
        (s[4] ? ', ' + L.avail + ' ' + (100 * s[5] / s[4]).toFixed(1) : '') + ' · ' + L.group + ' ' + D.rows[g].slice(0, D.by.length).join(' · ') + (ovc ? ': ' + ovc[0] : '');
      c.appendChild(tt);
      layer.appendChild(c);
      circles.push(c);
    });
    var setView = function () {
      map.setAttribute('viewBox', vb.x.toFixed(1) + ' ' + vb.y.toFixed(1) + ' ' + vb.w.toFixed(1) + ' ' + vb.h.toFixed(1));
      // Points keep their size on screen whatever the zoom.
      var r = (5 * vb.w / MW).toFixed(2), sw = (1 * vb.w / MW).toFixed(2);
      layer.setAttribute('style', 'stroke-width:' + sw);
      circles.forEach(function (c) { c.setAttribute('r', r); });
      map.setAttribute('data-zoom', (MW / vb.w).toFixed(2));
    };
    var zoom = function (f, cx, cy) {
      var w = Math.min(MW, Math.max(MW / 200, vb.w / f)), h = w * MH / MW;
      if (cx === undefined) { cx = vb.x + vb.w / 2; cy = vb.y + vb.h / 2; }
      vb.x = cx - (cx - vb.x) * (w / vb.w); vb.y = cy - (cy - vb.y) * (h / vb.h); vb.w = w; vb.h = h;
      setView();
    };
    var toSvg = function (e) { var pt = map.createSVGPoint(); pt.x = e.clientX; pt.y = e.clientY; var m = map.getScreenCTM(); return m ? pt.matrixTransform(m.inverse()) : { x: vb.x + vb.w / 2, y: vb.y + vb.h / 2 }; };
    map.addEventListener('wheel', function (e) { e.preventDefault(); var p = toSvg(e); zoom(e.deltaY < 0 ? 1.25 : 0.8, p.x, p.y); }, { passive: false });
    var drag = null;
    map.addEventListener('pointerdown', function (e) {
      drag = { x: e.clientX, y: e.clientY, vx: vb.x, vy: vb.y };
      try { map.setPointerCapture(e.pointerId); } catch (err) { /* a synthetic pointer has no capture: dragging still works inside the map */ }
    });
    map.addEventListener('pointermove', function (e) {
      if (!drag) return;
      var s = vb.w / map.getBoundingClientRect().width;
      vb.x = drag.vx - (e.clientX - drag.x) * s; vb.y = drag.vy - (e.clientY - drag.y) * s; setView();
    });
    map.addEventListener('pointerup', function () { drag = null; });
    document.getElementById('qp-zoom-in').addEventListener('click', function () { zoom(1.5); });
    document.getElementById('qp-zoom-out').addEventListener('click', function () { zoom(1 / 1.5); });
    document.getElementById('qp-zoom-reset').addEventListener('click', function () { vb = { x: 0, y: 0, w: MW, h: MH }; setView(); });
    window.qpMapFit = function (node) {
      var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      circles.forEach(function (c) {
        var s = D.sites[+c.getAttribute('data-site')], inside = under(s[0], node);
        c.classList.toggle('dim', !inside);
        if (!inside) return;
        var x = +c.getAttribute('cx'), y = +c.getAttribute('cy');
        x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
      });
      if (node === '' || x0 === Infinity) vb = { x: 0, y: 0, w: MW, h: MH };
      else {
        var w = Math.min(MW, Math.max(MW / 40, (x1 - x0) * 1.3, (y1 - y0) * 1.3 * MW / MH)), h = w * MH / MW;
        vb = { x: (x0 + x1) / 2 - w / 2, y: (y0 + y1) / 2 - h / 2, w: w, h: h };
      }
      setView();
    };
    setView();
  }

  // ---- time series: a group's own, or a region's as the records-weighted mean of its groups
  var ser = D.ser, sel = document.getElementById('qp-series-select'), svg = document.getElementById('qp-series'), parsed = {};
  function values(g) {
    if (!(g in parsed)) parsed[g] = ser.v[g] === null ? null : ser.v[g].split(',').map(function (x) { return x === '' ? null : +x; });
    return parsed[g];
  }
  function seriesOf(key) {
    if (key.indexOf('g:') === 0) return values(+key.slice(2));
    var n = key === '0' ? node : key.slice(2), sum = new Array(ser.n).fill(0), w = new Array(ser.n).fill(0);
    for (var g = 0; g < D.rows.length; g++) {
      if (ser.v[g] === null || !(n === '' || (D.gc[g] !== null && (D.gc[g] === n || D.gc[g].indexOf(n + '.') === 0 || n.indexOf(D.gc[g] + '.') === 0)))) continue;
      var v = values(g), r = D.gk[g][0];
      v.forEach(function (x, i) { if (x !== null) { sum[i] += x * r; w[i] += r; } });
    }
    return sum.map(function (s, i) { return w[i] ? s / w[i] : null; });
  }
  function draw() {
    if (!svg) return;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var W = ${W}, H = ${H}, Lp = ${PAD.l}, R = ${PAD.r}, T = ${PAD.t}, B = ${PAD.b};
    function el(name, attrs, text) { var e = document.createElementNS(NS, name); for (var k in attrs) e.setAttribute(k, attrs[k]); if (text) e.textContent = text; svg.appendChild(e); return e; }
    var vals = seriesOf(sel.value) || [], pts = [];
    vals.forEach(function (v, i) { if (v !== null) pts.push({ t: ser.t0 + i * ser.w, v: v }); });
    svg.setAttribute('data-points', String(pts.length));
    if (pts.length === 0) { el('text', { x: Lp, y: 40 }, 'no latency values'); return; }
    var t0 = pts[0].t, t1 = pts[pts.length - 1].t, vmax = 0;
    pts.forEach(function (p) { if (p.v > vmax) vmax = p.v; });
    vmax = vmax || 1;
    var pw = W - Lp - R, ph = H - T - B;
    var x = function (t) { return Lp + (t1 > t0 ? (t - t0) / (t1 - t0) : 0.5) * pw; }, y = function (v) { return T + ph - (v / vmax) * ph; };
    el('line', { x1: Lp, y1: T + ph, x2: Lp + pw, y2: T + ph, 'class': 'ax' });
    el('line', { x1: Lp, y1: T, x2: Lp, y2: T + ph, 'class': 'ax' });
    for (var k = 0; k <= 4; k++) { var v = (vmax * k) / 4; el('text', { x: Lp - 6, y: y(v) + 4, 'text-anchor': 'end' }, v.toFixed(1)); }
    el('text', { x: Lp, y: H - 18 }, new Date(t0).toISOString().slice(0, 16).replace('T', ' '));
    el('text', { x: Lp + pw, y: H - 18, 'text-anchor': 'end' }, new Date(t1).toISOString().slice(0, 16).replace('T', ' '));
    el('text', { x: Lp + pw / 2, y: H - 4, 'text-anchor': 'middle', 'class': 'lbl' }, 'time (UTC), RTT median ms, bucket ' + (ser.w < 3600000 ? Math.round(ser.w / 60000) + ' min' : (ser.w / 3600000).toFixed(1) + ' h'));
    el('path', { d: pts.map(function (p, i) { return (i ? 'L' : 'M') + x(p.t).toFixed(1) + ',' + y(p.v).toFixed(1); }).join(''), 'class': 'ts' });
    pts.forEach(function (p) { var c = el('circle', { cx: x(p.t).toFixed(1), cy: y(p.v).toFixed(1), r: 2.5, 'class': 'bar' }); var tt = document.createElementNS(NS, 'title'); tt.textContent = new Date(p.t).toISOString() + ': ' + p.v.toFixed(1) + ' ms'; c.appendChild(tt); });
  }
  function option(value, text) { var o = document.createElement('option'); o.value = value; o.textContent = text; sel.appendChild(o); return o; }
  function seriesOptions(sum) {
    if (!ser || !sel) return;
    sel.innerHTML = '';
    option('0', (node === '' ? L.national : node + ' ' + nameOf(node)) + ' (' + L.regions + ')');
    Object.keys(sum.kids).sort(function (a, b) { return a.localeCompare(b, 'en', { numeric: true }); }).forEach(function (k) { option('n:' + k, k + ' ' + nameOf(k)); });
    var gs = groupGrid.ids();
    if (gs.length <= 60) gs.forEach(function (g) { if (ser.v[g] !== null) option('g:' + g, D.rows[g].slice(0, D.by.length + 1).join(' ')); });
    draw();
  }
  if (sel) sel.addEventListener('change', draw);
  document.getElementById('qp-table').addEventListener('click', function (e) {
    var tr = e.target.closest('tbody tr'); if (!tr || !ser || !sel) return;
    var g = tr.cells[0].getAttribute('data-g'); if (g === null || ser.v[+g] === null) return;
    var o = sel.querySelector('option[value="g:' + g + '"]') || option('g:' + g, D.rows[+g].slice(0, D.by.length + 1).join(' '));
    sel.value = o.value; draw();
  });

  // ---- navigation
  function go(n) {
    node = n;
    var sum = summarize(node), crumbs = document.getElementById('qp-crumbs'), parts = [''];
    for (var d = 1; d <= depth(node); d++) parts.push(node.slice(0, LEN[d]));
    crumbs.innerHTML = parts.map(function (p, i) { var t = p === '' ? L.national : p + ' ' + nameOf(p); return i === parts.length - 1 ? '<strong data-node="' + esc(p) + '">' + esc(t) + '</strong>' : '<a href="#" data-node="' + esc(p) + '">' + esc(t) + '</a>'; }).join(' › ');
    crumbs.setAttribute('data-node', node);
    var tot = sum.tot;
    document.getElementById('qp-node-summary').textContent = tot.sites + ' ' + L.sites + ', ' + tot.dead + ' ' + L.dead + ', ' + tot.rec + ' ' + L.records + (tot.rec ? ', ' + L.avail + ' ' + (100 * tot.ok / tot.rec).toFixed(1) : '');
    kidData = sum.kids;
    var kids = Object.keys(kidData).sort(function (a, b) { return a.localeCompare(b, 'en', { numeric: true }); });
    document.getElementById('qp-kids-box').hidden = kids.length === 0;
    kidGrid.set(kids);
    document.getElementById('qp-site-box').hidden = sum.direct.length === 0;
    siteGrid.set(sum.direct);
    filterGroups();
    document.getElementById('qp-not-regions').hidden = !(D.rk === -1 && node !== '');
    if (window.qpMapFit) window.qpMapFit(node);
    seriesOptions(sum);
  }
  document.getElementById('qp-crumbs').addEventListener('click', function (e) { var a = e.target.closest('a[data-node]'); if (a) { e.preventDefault(); go(a.getAttribute('data-node')); } });
  document.getElementById('qp-kids').addEventListener('click', function (e) { var tr = e.target.closest('tr[data-node]'); if (tr) go(tr.getAttribute('data-node')); });
  document.getElementById('qp-kids').addEventListener('keydown', function (e) {
    var tr = e.target.closest('tr[data-node]');
    if (tr && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); go(tr.getAttribute('data-node')); var f = document.querySelector('#qp-kids tbody tr'); if (f) f.focus(); }
  });
  window.qpGo = go;
  go('');
  document.body.setAttribute('data-qp-ready', '1');
})();
`;
