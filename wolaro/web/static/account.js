// "Your data" on the server picker: erase the logged-in user's data after a confirmation, then leave the dashboard.
"use strict";
document.addEventListener("click", async (event) => {
  const button = event.target.closest('[data-action="erase-my-data"]');
  if (!button) return;
  const question = "Erase everything Wolaro stores about you in every server? This cannot be undone, and logs you out.";
  if (!window.confirm(question)) return;
  button.disabled = true;
  try {
    const result = await wolaro.api("/api/me/data", { method: "DELETE" });
    wolaro.flash?.(`Your data was erased (${result.erased} records).`);
    window.location.assign("/");
  } catch (error) {
    button.disabled = false;
    wolaro.toast?.(error.message, "danger");
  }
});
