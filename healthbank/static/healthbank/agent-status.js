// The card agent's status line, shared by the NHI-card and the citizen-certificate pages.
window.healthbankAgentStatus = function (section, presentKey) {
  const agent = section.dataset.agentUrl;
  const status = section.querySelector(".agent-status");

  function say(text, kind) {
    status.textContent = text;
    status.className = "agent-status " + kind;
  }

  async function check() {
    say(status.dataset.checking, "");
    try {
      const answer = await (await fetch(agent + "/status")).json();
      const present = Boolean(answer[presentKey]);
      say(present ? status.dataset.ok : status.dataset.nocard, present ? "ok" : "warn");
      return present;
    } catch (e) {
      say(status.dataset.down, "error");
      return false;
    }
  }

  return { agent: agent, status: status, say: say, check: check };
};
