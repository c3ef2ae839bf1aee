// Veille dashboard: asks the API for the project's panels with the user's token and refreshes them.
// The token comes from the URL fragment (#token=...&project=...), which browsers never send to a server,
// or from the form; it is kept in sessionStorage only. No external script, font or stylesheet.
(function () {
  "use strict";
  const params = new URLSearchParams(location.hash.slice(1));
  const state = {
    token: params.get("token") || sessionStorage.getItem("veille-token") || "",
    project: params.get("project") || new URLSearchParams(location.search).get("project") || "",
  };
  const status = document.getElementById("status");
  const form = document.getElementById("login");

  async function api(path) {
    const res = await fetch(path, { headers: { Authorization: "Bearer " + state.token } });
    if (!res.ok) throw new Error(res.status + " " + (await res.text()));
    return res;
  }

  async function listProjects() {
    const projects = await (await api("/v1/projects")).json();
    const select = document.getElementById("project");
    select.innerHTML = "";
    for (const p of projects) {
      const o = document.createElement("option");
      o.value = p.project_id; o.textContent = p.name + " (" + p.project_id + ", " + p.stage + ")";
      select.appendChild(o);
    }
    if (!state.project && projects.length) state.project = projects[0].project_id;
    select.value = state.project;
  }

  async function show() {
    if (!state.token) { form.hidden = false; status.textContent = "An API token is needed."; return; }
    sessionStorage.setItem("veille-token", state.token);
    try {
      await listProjects();
      if (!state.project) { status.textContent = "No project visible with this token."; form.hidden = false; return; }
      const html = await (await api("/v1/projects/" + encodeURIComponent(state.project) + "/panels.html")).text();
      document.getElementById("panels").innerHTML = html;
      const report = await (await api("/v1/projects/" + encodeURIComponent(state.project) + "/report")).json();
      document.getElementById("title").textContent = "Veille — " + report.project.name;
      document.body.dataset.loaded = "true";
      document.body.dataset.charts = String(document.querySelectorAll("svg.chart").length);
      status.textContent = "Stage " + report.stage + " · updated " + new Date().toLocaleTimeString();
    } catch (err) {
      status.textContent = "Error: " + err.message;
      document.body.dataset.error = err.message;
      form.hidden = false;
    }
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    state.token = document.getElementById("token").value.trim() || state.token;
    state.project = document.getElementById("project").value || state.project;
    show();
  });
  show();
  setInterval(function () { if (document.body.dataset.loaded) show(); }, 60000);
})();
