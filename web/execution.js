// agbotkit dashboard: the execution panels (open orders, recent fills, PnL) and the cancel
// buttons. app.js owns the connection: it hands every frame to update() (the hello frame
// carries "orders", "fills" and "pnl"; a batch frame carries those that changed) and says
// when the connection goes up or down. Prices, sizes and money arrive as decimal strings.
//
// window.agbotkitExecution is its handle (app.js and the browser tests use it).
(() => {
  "use strict";

  let headers = {};
  let marketName = (id) => id;
  let outcomeName = (token) => token;
  let connected = false;
  let orders = { count: 0, orders: [] };
  let fills = [];
  let pnl = { markets: [], total: null };

  const $ = (id) => document.getElementById(id);

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    if (className) td.className = className;
    return td;
  }

  function row(cells) {
    const tr = document.createElement("tr");
    tr.append(...cells);
    return tr;
  }

  const time = (ms) => (ms ? new Date(ms).toLocaleTimeString() : "");
  const num = (text, digits) => (text == null ? "" : Number(text).toFixed(digits));
  const usd = (text) => {
    const v = Number(text || 0);
    return `${v < 0 ? "−" : ""}$${Math.abs(v).toFixed(2)}`;
  };
  const sign = (text) => (Number(text || 0) < 0 ? "num bad" : "num ok");

  function empty(body, columns, text) {
    const td = cell(text, "muted");
    td.colSpan = columns;
    body.replaceChildren(row([td]));
  }

  function drawOrders() {
    const body = $("orders-body");
    $("orders-count").textContent = orders.count ? `${orders.count} open` : "";
    if (!orders.orders.length) {
      empty(body, 9, "no open orders");
      return;
    }
    body.replaceChildren(
      ...orders.orders.map((o) => {
        const cancel = document.createElement("button");
        cancel.type = "button";
        cancel.className = "small";
        cancel.textContent = "cancel";
        cancel.disabled = !connected || o.status === "CANCEL_PENDING";
        cancel.addEventListener("click", () => cancelOne(o.client_order_id));
        const action = cell("");
        action.append(cancel);
        const name = cell(marketName(o.market_id));
        name.title = `${o.client_order_id} (${o.venue}${o.strategy ? `, ${o.strategy}` : ""})`;
        const tr = row([
          cell(time(o.timestamp_ms)),
          name,
          cell(outcomeName(o.token_id)),
          cell(o.side),
          cell(num(o.price, 3), "num"),
          cell(`${num(o.filled_size, 2)} / ${num(o.size, 2)}`, "num"),
          cell(o.status.toLowerCase().replace("_", " ")),
          cell(o.order_type + (o.post_only ? " post-only" : "")),
          action,
        ]);
        tr.dataset.order = o.client_order_id;
        return tr;
      }),
    );
  }

  function drawFills() {
    const body = $("fills-body");
    if (!fills.length) {
      empty(body, 7, "no fills yet");
      return;
    }
    body.replaceChildren(
      ...fills.map((f) =>
        row([
          cell(time(f.timestamp_ms)),
          cell(marketName(f.market_id)),
          cell(outcomeName(f.token_id)),
          cell(f.side),
          cell(num(f.price, 3), "num"),
          cell(num(f.size, 2), "num"),
          cell((f.trade_status || "").toLowerCase() + (f.taker ? "" : " (maker)")),
        ]),
      ),
    );
  }

  function drawPnl() {
    const body = $("pnl-body");
    if (!pnl.markets.length) {
      empty(body, 4, "no positions yet");
      $("pnl-total").textContent = "";
      return;
    }
    const line = (name, p, className) => {
      const tr = row([
        cell(name),
        cell(usd(p.realised_usd), sign(p.realised_usd)),
        cell(usd(p.unrealised_usd), sign(p.unrealised_usd)),
        cell(usd(p.total_usd), sign(p.total_usd)),
      ]);
      if (className) tr.className = className;
      return tr;
    };
    body.replaceChildren(
      ...pnl.markets.map((m) => line(m.market_id ? marketName(m.market_id) : "(unknown market)", m)),
      line("total", pnl.total, "total"),
    );
    $("pnl-total").textContent = `total ${usd(pnl.total.total_usd)}`;
  }

  function draw() {
    drawOrders();
    drawFills();
    drawPnl();
    $("cancel-all-button").disabled = !connected;
  }

  async function post(path, body, what) {
    const note = $("cancel-note");
    note.textContent = "sending…";
    try {
      const response = await fetch(path, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...headers },
        body: JSON.stringify(body),
      });
      const answer = await response.json();
      note.textContent = response.status === 202 ? `${what} sent` : answer.error || `refused (${response.status})`;
    } catch (err) {
      note.textContent = `not sent: ${err.message}`;
    }
  }

  function cancelAll() {
    const question = `Cancel every open order (${orders.count} shown open)? New orders are still allowed: trigger the kill switch to stop them.`;
    if (!window.confirm(question)) return;
    post("/api/orders/cancel-all", { reason: "dashboard button" }, "cancel of every order");
  }

  function cancelOne(id) {
    if (!window.confirm(`Cancel order ${id}?`)) return;
    post(`/api/orders/${encodeURIComponent(id)}/cancel`, { reason: "dashboard button" }, `cancel of ${id}`);
  }

  window.agbotkitExecution = {
    // names: {headers, marketName(id), outcomeName(token)} from app.js.
    init(names) {
      headers = names.headers || {};
      marketName = names.marketName || marketName;
      outcomeName = names.outcomeName || outcomeName;
      $("cancel-all-button").addEventListener("click", cancelAll);
      draw();
    },
    update(msg) {
      if ("orders" in msg) orders = msg.orders;
      if ("fills" in msg) fills = msg.fills;
      if ("pnl" in msg) pnl = msg.pnl;
      if ("orders" in msg || "fills" in msg || "pnl" in msg) draw();
    },
    setConnected(value) {
      connected = value;
      draw();
    },
    redraw: draw, // market names arrived
    get orders() {
      return orders;
    },
    get fills() {
      return fills;
    },
    get pnl() {
      return pnl;
    },
  };
})();
