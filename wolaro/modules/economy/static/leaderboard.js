// The economy leaderboard page: ten members a page with their picture, name, wallet, bank and total.
"use strict";
(() => {
  const root = document.getElementById("economy-board");
  if (!root) return;
  const words = JSON.parse(document.getElementById("economy-board-words").textContent);
  const say = (text, values = {}) => text.replace(/\{(\w+)\}/g, (all, key) => (key in values ? String(values[key]) : all));
  const h = wolaro.h;
  const rows = document.getElementById("economy-board-rows");
  const prev = document.getElementById("economy-board-prev");
  const next = document.getElementById("economy-board-next");
  const status = document.getElementById("economy-board-page");
  const error = document.getElementById("economy-board-error");
  const money = (value) => `${root.dataset.symbol} ${Number(value).toLocaleString()} ${root.dataset.currency}`.trim();
  let page = 1;
  let pages = 1;

  // A picture that cannot load (Discord's CDN unreachable) becomes the member's initial.
  function avatar(row) {
    const img = h("img", { src: row.avatar_url, alt: say(words.picture, { name: row.name }), width: 32, height: 32,
      class: "avatar", loading: "lazy" });
    img.addEventListener("error", () => img.replaceWith(h("span", { class: "avatar initial", "aria-hidden": "true" },
      (row.name || "?").slice(0, 1).toUpperCase())));
    return img;
  }

  async function load() {
    error.hidden = true;
    try {
      const board = await wolaro.api(`${root.dataset.base}/leaderboard?page=${page}`);
      page = board.page;
      pages = board.pages;
      rows.replaceChildren(...board.rows.map((row) => h("tr", {},
        h("td", { "data-label": "#" }, String(row.rank)),
        h("td", { class: "member" }, avatar(row), " ", h("span", { class: "name" }, row.name)),
        h("td", {}, money(row.wallet)), h("td", {}, money(row.bank)), h("td", {}, h("strong", {}, money(row.total))),
      )));
      if (!board.rows.length) rows.append(h("tr", {}, h("td", { colspan: 5, class: "empty" }, words.empty)));
      status.textContent = say(words.page, { page, pages });
      prev.disabled = page <= 1;
      next.disabled = page >= pages;
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    }
  }

  prev.addEventListener("click", () => { page -= 1; load(); });
  next.addEventListener("click", () => { page += 1; load(); });
  load();
})();
