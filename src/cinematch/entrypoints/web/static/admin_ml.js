// The ML dashboard's K sweep: reads the admin SSE stream (GET /api/admin/ml/k-optimization/stream,
// the session cookie signs it), moves the progress bar, draws each K's score and logs every event.
(() => {
  const log = document.getElementById("ml-log");
  // What each event of the stream is called on the page (the stream's own names are for programs).
  // ...in the page's language: the template writes them (admin_ml.html, #ml-words).
  const NAMES = JSON.parse(document.getElementById("ml-words").textContent);
  const named = (type) => NAMES[type] || type.replace(/_/g, " ");
  const chart = document.getElementById("k-chart");
  const note = (text) => {
    const li = document.createElement("li");
    li.textContent = `${new Date().toLocaleTimeString(document.documentElement.lang)} ${text}`;
    log.prepend(li);
  };
  document.getElementById("clear-log").addEventListener("click", () => { log.innerHTML = ""; });
  const draw = (scores) => {
    const max = Math.max(...scores.map((s) => s.score), 1e-9);
    const w = 400 / Math.max(scores.length, 1);
    chart.innerHTML = scores.map((s, i) => {
      const h = Math.max(2, 140 * s.score / max);
      return `<g><rect x="${i * w + 2}" y="${150 - h}" width="${w - 4}" height="${h}" class="kbar ${s.kind}"></rect>` +
             `<text x="${i * w + w / 2}" y="159" text-anchor="middle" font-size="9">${s.kind === "svd" ? "s" : "c"}${s.k}</text></g>`;
    }).join("");
  };
  document.getElementById("optimize").addEventListener("click", () => {
    const scores = [];
    const bar = document.getElementById("k-progress");
    const phase = document.getElementById("k-phase");
    const source = new EventSource("/api/admin/ml/k-optimization/stream");
    note(NAMES.started);
    source.onmessage = (message) => {
      const event = JSON.parse(message.data);
      bar.value = event.progress || 0;
      bar.textContent = `${bar.value}%`;
      if (event.type === "k_svd_result" || event.type === "k_cluster_result") {
        const kind = event.type === "k_svd_result" ? "svd" : "cluster";
        const score = Number(event.composite_score ?? event.silhouette ?? 0);
        scores.push({kind, k: event.k, score});
        draw(scores);
      }
      if (event.type === "k_svd_optimal" || event.type === "k_cluster_optimal") {
        document.getElementById("k-best").textContent += ` ${named(event.type)}: ${event.optimal_k}.`;
      }
      // the stream's own messages are English, for programs: the page says it in its language
      phase.textContent = (event.phase && NAMES[`phase_${event.phase}`]) || named(event.type);
      note(`${named(event.type)}${event.k !== undefined ? ": K = " + event.k : ""} (${bar.value}%)`);
      if (event.type === "completed" || event.type === "error") {
        phase.textContent = event.type === "completed" ? NAMES.done : `${NAMES.failed} ${event.message || ""}`;
        source.close();
      }
    };
    source.onerror = () => { note(NAMES.closed); source.close(); };
  });
})();
