// agbotkit dashboard: plain JS, no framework; charts with uPlot (served by the dashboard).
//
// Data flow: WS /dashboard sends a "hello" frame (stack, components, kill switch, market
// names, open orders, fills, PnL), then "batch" frames (new points per series, and what
// changed of the rest) every push interval; the execution panels are execution.js's, the
// strategies panel strategies.js's (drawn from the strategy.* series). On
// every (re)connect, and when the chart window changes, the page backfills its charts from
// /api/series?since=, so a late or returning browser sees the recent past too. Markets are
// named by their question and outcomes (hello frame, then /api/markets for new ones). A
// token given in the page's URL (?token=...) is kept for the session and sent with every
// request.
//
// window.agbotkit is a debug handle (used by the browser tests): charts, point counts.
(() => {
  "use strict";

  const WINDOWS_MS = [60_000, 300_000, 900_000, 3_600_000]; // the window buttons
  const KEEP_MS = 3_600_000; // how much history the page keeps per series (the widest window)
  const MAX_POINTS = 20_000; // per series, in the page
  const MARKETS_REFRESH_MS = 10_000; // the least time between two /api/markets requests
  const DECISIONS = 100; // risk decisions shown
  const BACKOFF_MIN_MS = 500;
  const BACKOFF_MAX_MS = 10_000;
  const PALETTE = ["#4cc9f0", "#f72585", "#ffd166", "#06d6a0", "#b388ff", "#ff9f1c", "#90be6d", "#ef476f"];
  const AXIS = { stroke: "#9aa4b2", grid: { stroke: "#252c3a", width: 1 }, ticks: { stroke: "#252c3a" } };

  // -- token ----------------------------------------------------------------------------
  const params = new URLSearchParams(location.search);
  const token = params.get("token") || sessionStorage.getItem("agbotkit.token") || "";
  if (params.get("token")) sessionStorage.setItem("agbotkit.token", token);
  const authHeaders = token ? { Authorization: `Bearer ${token}` } : {};

  // -- state ----------------------------------------------------------------------------
  const store = new Map(); // series key -> {name, labels, type, t: [], v: []}
  let clockOffset = 0; // server clock minus ours, ms
  let socket = null;
  let connected = false;
  let backoff = BACKOFF_MIN_MS;
  let retryAt = 0;
  let frames = 0;
  let killSwitch = null;
  let componentStates = {};
  let windowMs = Number(localStorage.getItem("agbotkit.window")) || 300_000;
  if (!WINDOWS_MS.includes(windowMs)) windowMs = 300_000;
  let everConnected = false;
  let markets = {}; // condition id -> {question, outcomes, token_ids}
  let tokens = {}; // token id -> {question, outcome}
  let marketsFetchedAt = 0;
  let marketsChanged = false;
  const execution = window.agbotkitExecution; // the execution panels (execution.js)
  const strategies = window.agbotkitStrategies; // the strategies panel (strategies.js)
  const charts = {}; // chart name -> uPlot
  const signatures = {}; // chart name -> the series set it was built for
  const revisions = {}; // chart name -> data updates

  const $ = (id) => document.getElementById(id);
  const serverNow = () => Date.now() + clockOffset;

  function seriesKey(name, labels) {
    const parts = Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`);
    return `${name}{${parts.join(",")}}`;
  }

  function keepRule(name) {
    return name === "polymarket.risk.decision" ? [DECISIONS, Infinity] : [MAX_POINTS, KEEP_MS];
  }

  // Insert points (oldest first) into their series, keeping it sorted and free of duplicates:
  // live frames append, a backfill may fill in older points.
  function addPoints(name, labels, type, points) {
    const key = seriesKey(name, labels);
    let s = store.get(key);
    if (!s) {
      s = { key, name, labels, type: type || "gauge", t: [], v: [] };
      store.set(key, s);
    }
    if (type) s.type = type;
    for (const [t, v] of points) {
      const n = s.t.length;
      if (n === 0 || t > s.t[n - 1]) {
        s.t.push(t);
        s.v.push(v);
      } else if (t === s.t[n - 1]) {
        s.v[n - 1] = v;
      } else {
        const i = lowerBound(s.t, t);
        if (s.t[i] === t) s.v[i] = v;
        else {
          s.t.splice(i, 0, t);
          s.v.splice(i, 0, v);
        }
      }
    }
    const [maxPoints, keepMs] = keepRule(name);
    let drop = Math.max(0, s.t.length - maxPoints);
    if (keepMs !== Infinity) drop = Math.max(drop, lowerBound(s.t, serverNow() - keepMs));
    if (drop > 0) {
      s.t.splice(0, drop);
      s.v.splice(0, drop);
    }
  }

  function lowerBound(arr, x) {
    let lo = 0;
    let hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (arr[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  const matching = (re) =>
    [...store.values()].filter((s) => re.test(s.name)).sort((a, b) => (a.key < b.key ? -1 : 1));
  const latest = (s) => (s.v.length ? s.v[s.v.length - 1] : null);

  function labelText(labels, skip = []) {
    const parts = Object.keys(labels)
      .filter((k) => !skip.includes(k))
      .sort()
      .map((k) => `${k}=${labels[k]}`);
    return parts.join(" ");
  }

  // -- market names ----------------------------------------------------------------------
  function setMarkets(known) {
    markets = known || {};
    marketsChanged = true;
    tokens = {};
    for (const m of Object.values(markets)) {
      (m.token_ids || []).forEach((token, i) => {
        tokens[token] = { question: m.question, outcome: (m.outcomes || [])[i] || "" };
      });
    }
  }

  const shortId = (id) => (id && id.length > 14 ? `${id.slice(0, 6)}…${id.slice(-4)}` : id || "?");

  // A market's question (its id, shortened, until /api/markets knows it).
  function marketName(id) {
    const m = markets[id] || tokens[id];
    if (m) return m.question;
    wantMarkets();
    return shortId(id);
  }

  // An outcome's name: a position's side is its outcome, or its token id when the risk
  // component did not know the market.
  function outcomeName(side) {
    return (tokens[side] && tokens[side].outcome) || (side && side.length > 14 ? shortId(side) : side || "");
  }

  async function wantMarkets() {
    const now = Date.now();
    if (now - marketsFetchedAt < MARKETS_REFRESH_MS) return;
    marketsFetchedAt = now;
    try {
      const response = await fetch("/api/markets", { headers: authHeaders });
      if (!response.ok) return;
      const before = Object.keys(markets).length;
      setMarkets((await response.json()).markets);
      if (Object.keys(markets).length !== before) queueRender();
    } catch (err) {
      // The server is away: the names come with the next hello frame.
    }
  }

  // -- charts ---------------------------------------------------------------------------
  const LINE_CHARTS = {
    lag: { el: "chart-lag", re: /^polymarket\.([^.]+)\.lag_ms$/ },
    rate: { el: "chart-rate", re: /^polymarket\.([^.]+)\.msgs_per_second$/ },
    connection: {
      el: "chart-connection",
      re: /^polymarket\.([^.]+)\.connection_status$/,
      step: true,
      yRange: [-0.1, 1.1],
      small: true,
    },
    inventory: { el: "chart-inventory", re: /^polymarket\.inventory\.value_usd$/ },
    // The risk component's analytics: VaR and ES per method, and the portfolio Greeks.
    var: { el: "chart-var", re: /^risk\.(var_95|var_99|es_95)$/ },
    greeks: { el: "chart-greeks", re: /^risk\.portfolio_(delta|gamma|vega|theta|rho)$/ },
    kill: {
      el: "chart-kill",
      re: /^polymarket\.risk\.kill_switch$/,
      step: true,
      yRange: [-0.1, 1.1],
      small: true,
    },
  };

  function chartSize(el, small) {
    return { width: Math.max(200, el.clientWidth), height: small ? 120 : 190 };
  }

  function placeholder(el, text) {
    let p = el.querySelector(".placeholder");
    if (text === null) {
      if (p) p.remove();
      return;
    }
    if (!p) {
      p = document.createElement("div");
      p.className = "placeholder";
      el.appendChild(p);
    }
    p.textContent = text;
  }

  function upsert(name, el, signature, makeOpts, data, small) {
    let chart = charts[name];
    if (!chart || signatures[name] !== signature) {
      if (chart) chart.destroy();
      chart = new uPlot({ ...chartSize(el, small), ...makeOpts() }, data, el);
      charts[name] = chart;
      signatures[name] = signature;
    } else {
      chart.setData(data);
    }
    revisions[name] = (revisions[name] || 0) + 1;
  }

  function drawLine(name, def) {
    const el = $(def.el);
    const found = matching(def.re);
    if (!found.length) {
      placeholder(el, "waiting for data…");
      return;
    }
    placeholder(el, null);
    const from = serverNow() - windowMs;
    const tables = found.map((s) => {
      const i = lowerBound(s.t, from);
      return [s.t.slice(i), s.v.slice(i)];
    });
    const data = tables.length === 1 ? tables[0] : uPlot.join(tables);
    const labels = found.map((s) => {
      const m = def.re.exec(s.name);
      const feed = m && m[1] ? m[1] : s.name;
      // A label repeating the feed's name (component=clob) says nothing more.
      const rest = labelText(s.labels, Object.keys(s.labels).filter((k) => s.labels[k] === feed));
      return rest ? `${feed} ${rest}` : feed;
    });
    const makeOpts = () => ({
      ms: 1,
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      scales: {
        x: { time: true, range: () => [serverNow() - windowMs, serverNow()] },
        y: def.yRange ? { range: def.yRange } : { auto: true },
      },
      axes: [{ ...AXIS }, { ...AXIS, size: 56 }],
      series: [
        {},
        ...labels.map((label, i) => ({
          label,
          stroke: PALETTE[i % PALETTE.length],
          width: 2,
          spanGaps: true,
          points: { show: false },
          ...(def.step ? { paths: uPlot.paths.stepped({ align: 1 }) } : {}),
        })),
      ],
    });
    upsert(name, el, labels.join("\n"), makeOpts, data, def.small);
  }

  function drawPositions() {
    const el = $("chart-positions");
    const found = matching(/^polymarket\.position\.size$/).filter((s) => s.v.length);
    if (!found.length) {
      placeholder(el, "no positions yet");
      return;
    }
    placeholder(el, null);
    // Numbered bars; the names (long questions) go in the list below, where they wrap.
    const names = found.map((s) => ({
      question: marketName(s.labels.market_id || s.labels.asset_id || "?"),
      outcome: outcomeName(s.labels.side || ""),
      size: latest(s),
    }));
    const cats = names.map((_, i) => String(i + 1));
    drawPositionList(names);
    const data = [cats.map((_, i) => i), found.map(latest)];
    const makeOpts = () => ({
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      scales: {
        x: { time: false, range: () => [-0.5, cats.length - 0.5] },
        y: { range: (u, min, max) => [Math.min(0, min), Math.max(0, max) * 1.1 || 1] },
      },
      axes: [
        {
          ...AXIS,
          splits: () => cats.map((_, i) => i),
          values: (u, splits) => splits.map((i) => cats[i] ?? ""),
        },
        { ...AXIS, size: 56 },
      ],
      series: [
        {
          label: "position",
          value: (u, i) => (i == null || !names[i] ? "–" : `${i + 1}. ${names[i].outcome}`),
        },
        {
          label: "shares",
          stroke: PALETTE[0],
          fill: "rgba(76, 201, 240, 0.45)",
          fillTo: () => 0,
          paths: uPlot.paths.bars({ size: [0.6, 90] }),
          points: { show: false },
        },
      ],
    });
    upsert("positions", el, found.map((s) => s.key).join("\n"), makeOpts, data);
  }

  function drawPositionList(names) {
    $("positions-list").replaceChildren(
      ...names.map((n) => {
        const li = document.createElement("li");
        const q = document.createElement("span");
        q.className = "question";
        q.textContent = n.question;
        const o = document.createElement("span");
        o.className = "outcome";
        o.textContent = n.outcome;
        const v = document.createElement("span");
        v.className = "size";
        v.textContent = n.size == null ? "–" : n.size.toFixed(2);
        li.append(q, o, v);
        return li;
      }),
    );
  }

  // Tokens whose order book was resynced within the window (a feed that keeps failing).
  function drawFeedHealth() {
    const byToken = new Map();
    const from = serverNow() - windowMs;
    for (const s of matching(/^polymarket\.[^.]+\.book_resyncs$/)) {
      const i = lowerBound(s.t, from);
      const n = s.v.length;
      if (!n || s.t[n - 1] < from) continue;
      // A counter: what it rose by within the window (from its value before the window,
      // or from zero when the series began inside it).
      const base = i > 0 ? s.v[i - 1] : 0;
      const rose = s.v[n - 1] - base;
      if (rose <= 0) continue;
      const token = s.labels.asset_id || "?";
      const entry = byToken.get(token) || { token, count: 0, reasons: {}, last: 0 };
      entry.count += rose;
      entry.reasons[s.labels.reason || "?"] = (entry.reasons[s.labels.reason || "?"] || 0) + rose;
      entry.last = Math.max(entry.last, s.t[n - 1]);
      byToken.set(token, entry);
    }
    const list = $("feed-health");
    const entries = [...byToken.values()].sort((a, b) => b.count - a.count);
    if (!entries.length) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = "no order book resyncs in the window";
      list.replaceChildren(li);
      return;
    }
    list.replaceChildren(
      ...entries.map((e) => {
        const li = document.createElement("li");
        li.className = "bad";
        const info = tokens[e.token];
        const name = info ? `${info.outcome} · ${info.question}` : (wantMarkets(), `token ${shortId(e.token)}`);
        const reasons = Object.entries(e.reasons)
          .map(([r, n]) => `${r} ×${n}`)
          .join(", ");
        li.textContent = `${name}: ${e.count} resync${e.count === 1 ? "" : "s"} (${reasons}), last ${new Date(e.last).toLocaleTimeString()}`;
        li.title = e.token;
        return li;
      }),
    );
  }

  let decisionSamples = [];

  function drawDecisions() {
    const el = $("chart-decisions");
    const samples = [];
    for (const s of matching(/^polymarket\.risk\.decision$/)) {
      for (let i = 0; i < s.t.length; i++) {
        samples.push({ t: s.t[i], v: s.v[i], policy: s.labels.policy || "?", market: s.labels.market_id || "" });
      }
    }
    if (!samples.length) {
      placeholder(el, "no orders judged yet");
      return;
    }
    placeholder(el, null);
    samples.sort((a, b) => a.t - b.t);
    decisionSamples = samples.slice(-DECISIONS);
    const xs = decisionSamples.map((_, i) => i);
    const allowed = decisionSamples.map((d) => (d.v >= 0.5 ? 1 : null));
    const denied = decisionSamples.map((d) => (d.v < 0.5 ? 0 : null));
    const describe = (i) => {
      const d = decisionSamples[i];
      if (!d) return "–";
      const when = new Date(d.t).toLocaleTimeString();
      const verdict = d.v >= 0.5 ? "allowed" : `denied by ${d.policy}`;
      return `${when} ${verdict}${d.market ? ` (${marketName(d.market)})` : ""}`;
    };
    const makeOpts = () => ({
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      scales: { x: { time: false, range: () => [-1, DECISIONS] }, y: { range: [-0.5, 1.5] } },
      axes: [
        {
          ...AXIS,
          space: 110, // px between labels: a time label is wide
          incrs: [1, 2, 5, 10, 20, 25, 50],
          values: (u, splits) =>
            splits.map((i) => (decisionSamples[i] ? new Date(decisionSamples[i].t).toLocaleTimeString() : "")),
        },
        { ...AXIS, size: 64, splits: () => [0, 1], values: (u, splits) => splits.map((v) => (v === 1 ? "allowed" : "denied")) },
      ],
      series: [
        { label: "decision", value: (u, i) => (i == null ? "–" : describe(i)) },
        { label: "allowed", stroke: "#06d6a0", fill: "#06d6a0", paths: () => null, points: { show: true, size: 8 } },
        {
          label: "policy",
          stroke: "#f72585",
          fill: "#f72585",
          paths: () => null,
          points: { show: true, size: 8 },
          value: (u, v, si, i) => (i == null || !decisionSamples[i] ? "–" : decisionSamples[i].policy),
        },
      ],
      hooks: {
        setCursor: [
          (u) => {
            const i = u.cursor.idx;
            $("decision-tip").textContent = i == null ? "" : describe(i);
          },
        ],
      },
    });
    upsert("decisions", el, "decisions", makeOpts, [xs, allowed, denied]);
  }

  // -- badges: feeds, kill switch, components -------------------------------------------
  function badge(text, ok, title) {
    const b = document.createElement("li");
    b.className = `badge ${ok === null ? "unknown" : ok ? "ok" : "bad"}`;
    b.textContent = text;
    if (title) b.title = title;
    return b;
  }

  function drawFeeds() {
    const list = $("feeds");
    list.replaceChildren(
      ...matching(LINE_CHARTS.connection.re).map((s) => {
        const feed = LINE_CHARTS.connection.re.exec(s.name)[1];
        const v = latest(s);
        const extra = labelText(s.labels);
        return badge(`${feed}${extra ? ` ${extra}` : ""}: ${v >= 0.5 ? "connected" : "down"}`, v >= 0.5);
      }),
    );
  }

  function drawComponents() {
    const byName = new Map();
    for (const [name, state] of Object.entries(componentStates)) byName.set(name, { name, state, kind: "" });
    for (const s of matching(/^agbotkit\.component\.up$/)) {
      const name = s.labels.component || "?";
      const entry = byName.get(name) || { name, state: "", kind: "" };
      entry.kind = s.labels.kind || entry.kind;
      entry.up = latest(s) >= 0.5;
      byName.set(name, entry);
    }
    const items = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    $("components").replaceChildren(
      ...items.map((c) => {
        const up = c.up !== undefined ? c.up : c.state === "ready";
        const state = c.up !== undefined ? (c.up ? "up" : "down") : c.state;
        return badge(`${c.name}${c.kind ? ` (${c.kind})` : ""}: ${state}`, up);
      }),
    );
  }

  function drawKillSwitch() {
    const stateEl = $("kill-state");
    const button = $("kill-button");
    if (!killSwitch) {
      stateEl.textContent = "no risk component";
      stateEl.className = "kill unknown";
      $("kill-reason").textContent = "";
      button.disabled = true;
      button.textContent = "Trigger kill switch";
      return;
    }
    const active = killSwitch.active;
    stateEl.textContent = active ? "ACTIVE: orders denied" : "off: trading allowed";
    stateEl.className = `kill ${active ? "bad" : "ok"}`;
    const since = killSwitch.since_ms ? ` since ${new Date(killSwitch.since_ms).toLocaleString()}` : "";
    $("kill-reason").textContent = active ? `${killSwitch.reason || "no reason given"}${since}` : "";
    button.disabled = !connected;
    button.textContent = active ? "Reset kill switch" : "Trigger kill switch";
    button.dataset.action = active ? "reset" : "kill";
  }

  async function onKillButton() {
    const action = $("kill-button").dataset.action || "kill";
    const question =
      action === "kill"
        ? "Trigger the kill switch? Every new order will be denied until it is reset."
        : "Reset the kill switch? New orders will be judged by the risk policies again.";
    if (!window.confirm(question)) return;
    const note = $("kill-note");
    note.textContent = "sending…";
    try {
      const response = await fetch(`/api/risk/${action}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...authHeaders },
        body: JSON.stringify({ reason: "dashboard button" }),
      });
      const body = await response.json();
      if (response.status === 202) {
        if (body.kill_switch) killSwitch = body.kill_switch;
        note.textContent = body.changed
          ? "done"
          : body.answered
            ? "no change: it already was"
            : "sent (no answer yet)";
      } else {
        note.textContent = body.error || `refused (${response.status})`;
      }
    } catch (err) {
      note.textContent = `not sent: ${err.message}`;
    }
    drawKillSwitch();
  }

  // -- rendering ------------------------------------------------------------------------
  let renderQueued = false;

  function render() {
    renderQueued = false;
    if (typeof uPlot === "undefined") return;
    for (const [name, def] of Object.entries(LINE_CHARTS)) drawLine(name, def);
    drawPositions();
    drawDecisions();
    drawFeeds();
    drawFeedHealth();
    drawComponents();
    drawKillSwitch();
    strategies.draw(store);
    if (marketsChanged) {
      marketsChanged = false;
      execution.redraw();
    }
  }

  function queueRender() {
    if (!renderQueued) {
      renderQueued = true;
      requestAnimationFrame(render);
    }
  }

  function resizeCharts() {
    for (const [name, chart] of Object.entries(charts)) {
      const def = LINE_CHARTS[name];
      chart.setSize(chartSize(chart.root.parentElement, def && def.small));
    }
  }

  // -- connection -----------------------------------------------------------------------
  // "connecting" until the first attempt fails; "disconnected" (and the banner) after.
  function setConnected(value) {
    connected = value;
    if (value) everConnected = true;
    $("banner").hidden = value;
    const status = $("status");
    status.textContent = value ? "live" : "disconnected";
    status.className = `pill ${value ? "ok" : "bad"}`;
    drawKillSwitch();
    execution.setConnected(value);
  }

  function setWindow(ms) {
    windowMs = ms;
    localStorage.setItem("agbotkit.window", String(ms));
    for (const b of document.querySelectorAll("[data-window]")) {
      b.setAttribute("aria-pressed", String(Number(b.dataset.window) === ms));
    }
    if (connected) backfill();
    queueRender();
  }

  const BACKFILL = [
    "polymarket.*.lag_ms",
    "polymarket.*.msgs_per_second",
    "polymarket.*.connection_status",
    "polymarket.position.size",
    "polymarket.inventory.value_usd",
    "polymarket.risk.kill_switch",
    "polymarket.risk.decision",
    "polymarket.*.book_resyncs",
    "risk.*",
    "strategy.*",
    "agbotkit.component.up",
  ];

  async function backfill() {
    const since = serverNow() - windowMs;
    await Promise.all(
      BACKFILL.map(async (name) => {
        const query = new URLSearchParams({ name, max_points: "2000" });
        if (name !== "polymarket.risk.decision") query.set("since", String(since));
        try {
          const response = await fetch(`/api/series?${query}`, { headers: authHeaders });
          if (!response.ok) return;
          const body = await response.json();
          for (const s of body.series) addPoints(s.name, s.labels, s.metric_type, s.points);
        } catch (err) {
          // The server went away again; the next connection backfills.
        }
      }),
    );
    queueRender();
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const query = token ? `?token=${encodeURIComponent(token)}` : "";
    const ws = new WebSocket(`${scheme}://${location.host}/dashboard${query}`);
    socket = ws;
    ws.onmessage = (event) => {
      const msg = JSON.parse(event.data);
      frames += 1;
      clockOffset = msg.server_ms - Date.now();
      if (msg.type === "hello") {
        backoff = BACKOFF_MIN_MS;
        if (msg.stack) {
          $("title").textContent = msg.stack;
          document.title = `${msg.stack} · agbotkit`;
        }
        componentStates = msg.components || {};
        setMarkets(msg.markets);
        killSwitch = msg.kill_switch;
        execution.update(msg);
        setConnected(true);
        backfill();
      } else if (msg.type === "batch") {
        for (const s of msg.series) addPoints(s.name, s.labels, s.metric_type, s.points);
        if ("kill_switch" in msg) killSwitch = msg.kill_switch;
        execution.update(msg);
      }
      queueRender();
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      setConnected(false);
      const delay = backoff * (0.5 + Math.random() / 2);
      backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
      retryAt = Date.now() + delay;
      setTimeout(connect, delay);
    };
  }

  function tick() {
    if (!connected) {
      const left = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
      $("retry").textContent = retryAt ? `${left} s` : "a moment";
    }
    $("clock").textContent = new Date(serverNow()).toLocaleTimeString();
    queueRender(); // time windows slide even when no data comes
  }

  function start() {
    if (typeof uPlot === "undefined") {
      $("banner").hidden = false;
      $("banner").textContent =
        "uPlot did not load (/static/vendor/uPlot.iife.min.js): run `npm ci` and `python web/build.py` in web/.";
      return;
    }
    $("kill-button").addEventListener("click", onKillButton);
    execution.init({
      headers: authHeaders,
      marketName,
      outcomeName: (token) => (tokens[token] ? tokens[token].outcome : shortId(token)),
    });
    window.addEventListener("resize", resizeCharts);
    for (const b of document.querySelectorAll("[data-window]")) {
      b.addEventListener("click", () => setWindow(Number(b.dataset.window)));
    }
    setWindow(windowMs);
    $("retry").textContent = "a moment";
    connect(); // "connecting" (from the HTML) until it opens or fails

    setInterval(tick, 1000);
    render();
  }

  window.agbotkit = {
    charts,
    revisions,
    store,
    get connected() {
      return connected;
    },
    get frames() {
      return frames;
    },
    get killSwitch() {
      return killSwitch;
    },
    get windowMs() {
      return windowMs;
    },
    get everConnected() {
      return everConnected;
    },
    // The newest sample time each chart draws (ms), to see charts move (for tests).
    newest() {
      const out = {};
      for (const [name, chart] of Object.entries(charts)) {
        const xs = chart.data[0];
        if (name === "decisions") out[name] = decisionSamples.length ? decisionSamples[decisionSamples.length - 1].t : null;
        else if (name === "positions") out[name] = Math.max(...matching(/^polymarket\.position\.size$/).map((s) => s.t[s.t.length - 1] || 0));
        else out[name] = xs.length ? xs[xs.length - 1] : null;
      }
      return out;
    },
    // Drawn points per chart: the non-null values of every series (for tests).
    pointCounts() {
      const counts = {};
      for (const [name, chart] of Object.entries(charts)) {
        let n = 0;
        for (let i = 1; i < chart.data.length; i++) for (const v of chart.data[i]) if (v != null) n += 1;
        counts[name] = n;
      }
      return counts;
    },
  };

  start();
})();
