// agbotkit dashboard: the strategies panel. One row per running strategy (the strategy_id
// label of the strategy.* metrics): its PnL (strategy.pnl_usd, summed over its markets),
// the orders it submitted (strategy.orders_submitted), its fills (strategy.fills) and the
// signals it counted (strategy.signals_generated, per signal type on hover). app.js owns
// the metric store (live frames and backfill) and calls draw(store) on every render.
//
// window.agbotkitStrategies is its handle (the browser tests use it): rows.
(() => {
  "use strict";

  let rows = [];
  let drawn = "";

  const $ = (id) => document.getElementById(id);
  const latest = (s) => (s.v.length ? s.v[s.v.length - 1] : null);
  const usd = (v) => `${v < 0 ? "−" : ""}$${Math.abs(v).toFixed(2)}`;

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    if (className) td.className = className;
    return td;
  }

  // Every strategy's figures from the store's strategy.* series (latest value of each).
  function collect(store) {
    const by = new Map();
    const get = (id) => {
      if (!by.has(id)) by.set(id, { strategy_id: id, pnl_usd: 0, markets: 0, orders: 0, fills: 0, signals: 0, signal_types: {} });
      return by.get(id);
    };
    for (const s of store.values()) {
      if (!s.name.startsWith("strategy.") || !s.labels.strategy_id) continue;
      const value = latest(s);
      if (value == null) continue;
      const row = get(s.labels.strategy_id);
      if (s.name === "strategy.pnl_usd") {
        row.pnl_usd += value;
        row.markets += 1;
      } else if (s.name === "strategy.orders_submitted") row.orders = value;
      else if (s.name === "strategy.fills") row.fills = value;
      else if (s.name === "strategy.signals_generated") {
        row.signals += value;
        row.signal_types[s.labels.signal_type || "?"] = value;
      }
    }
    return [...by.values()].sort((a, b) => (a.strategy_id < b.strategy_id ? -1 : 1));
  }

  function draw(store) {
    rows = collect(store);
    const text = JSON.stringify(rows);
    if (text === drawn) return; // nothing changed: leave the table (and its hover) alone
    drawn = text;
    const body = $("strategies-body");
    if (!rows.length) {
      const td = cell("no strategy running", "muted");
      td.colSpan = 5;
      const tr = document.createElement("tr");
      tr.append(td);
      body.replaceChildren(tr);
      return;
    }
    body.replaceChildren(
      ...rows.map((r) => {
        const tr = document.createElement("tr");
        tr.dataset.strategy = r.strategy_id;
        const signals = cell(String(r.signals), "num");
        signals.title = Object.entries(r.signal_types)
          .map(([kind, n]) => `${kind}: ${n}`)
          .join(", ");
        const pnl = cell(usd(r.pnl_usd), r.pnl_usd < 0 ? "num bad" : "num ok");
        pnl.title = `${r.markets} market${r.markets === 1 ? "" : "s"}`;
        tr.append(cell(r.strategy_id), pnl, cell(String(r.orders), "num"), cell(String(r.fills), "num"), signals);
        return tr;
      }),
    );
  }

  window.agbotkitStrategies = {
    draw,
    get rows() {
      return rows;
    },
  };
})();
