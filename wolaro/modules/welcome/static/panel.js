// Welcome's live preview: renders the welcome and goodbye texts from the settings form as the admin types, and the
// image card (re-fetched after a background upload). Everything goes through the module's own API.
"use strict";
(() => {
  const root = document.querySelector(".welcome-preview");
  if (!root) return;
  const guild = root.dataset.guild;
  const base = `/api/guilds/${guild}/modules/welcome`;
  const joinOut = document.getElementById("welcome-join-preview");
  const leaveOut = document.getElementById("welcome-leave-preview");
  const cardImg = document.getElementById("welcome-card");
  const status = document.getElementById("welcome-background-status");
  const field = (path) => document.querySelector(`[data-path="${path}"] textarea, [data-path="${path}"] input`);
  const defaults = { join_message: "Welcome {mention} to **{guild}**! You are member #{count}.",
    leave_message: "**{user}** left {guild}. We are {count} now." };
  let timer = null;

  function show(out, text) {
    out.replaceChildren();
    for (const part of text.split(/(<@\d+>|\*\*[^*]+\*\*)/)) {
      if (/^<@\d+>$/.test(part)) out.append(wolaro.h("span", { class: "mention", text: "@you" }));
      else if (/^\*\*[^*]+\*\*$/.test(part)) out.append(wolaro.h("strong", { text: part.slice(2, -2) }));
      else if (part) out.append(document.createTextNode(part));
    }
  }
  async function preview(path, out) {
    const input = field(path);
    const message = input ? input.value : defaults[path];
    try {
      const result = await wolaro.api(`${base}/preview`, { method: "POST", body: { message } });
      show(out, result.text);
    } catch (error) {
      out.textContent = error.message;
    }
  }
  function refreshCard() {
    cardImg.src = `${base}/card.png?title=${encodeURIComponent("Welcome to " + root.dataset.guildName)}&t=${Date.now()}`;
  }
  function refresh() {
    clearTimeout(timer);
    timer = setTimeout(() => { preview("join_message", joinOut); preview("leave_message", leaveOut); }, 200);
  }
  document.addEventListener("input", (event) => {
    if (event.target.closest('[data-path="join_message"], [data-path="leave_message"]')) refresh();
  });
  document.getElementById("welcome-background").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    status.textContent = "Uploading…";
    const response = await fetch(`${base}/background`, {
      method: "PUT", body: file, credentials: "same-origin", headers: { "X-CSRF-Token": wolaro.csrf() },
    });
    const data = response.ok ? null : await response.json().catch(() => null);
    status.textContent = response.ok ? "Background saved." : (data && data.detail) || `Error ${response.status}`;
    refreshCard();
  });
  document.getElementById("welcome-background-clear").addEventListener("click", async () => {
    await wolaro.api(`${base}/background`, { method: "DELETE" });
    status.textContent = "Background removed.";
    refreshCard();
  });
  // The settings form is built by script: wait a moment for it before the first preview.
  setTimeout(refresh, 300);
  refreshCard();
})();
