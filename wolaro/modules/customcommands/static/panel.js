// Custom commands' "try it" panel: renders the template as the admin types (debounced), posting nothing.
"use strict";
(() => {
  const root = document.querySelector(".cc-try");
  if (!root) return;
  const guild = root.dataset.guild;
  const template = document.getElementById("cc-template");
  const args = document.getElementById("cc-args");
  const out = document.getElementById("cc-preview");
  let timer = null;
  async function render() {
    try {
      const body = { template: template.value, args: args.value.split(/\s+/).filter(Boolean).slice(0, 20) };
      const result = await wolaro.api(`/api/guilds/${guild}/modules/customcommands/preview`, { method: "POST", body });
      out.textContent = result.text || root.dataset.empty;
      out.classList.toggle("cc-error", !result.ok);
    } catch (error) {
      out.textContent = error.message;
      out.classList.add("cc-error");
    }
  }
  const later = () => { clearTimeout(timer); timer = setTimeout(render, 250); };
  template.addEventListener("input", later);
  args.addEventListener("input", later);
  render();
})();
