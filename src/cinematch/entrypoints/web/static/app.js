// The few behaviours htmx does not cover. The title's catalog suggestions are a combobox
// (WAI-ARIA 1.2): arrow keys move the active option, Enter or a click picks it (title, year and
// the exact film), Escape closes the list. No other script runs on the pages.
const options = () => [...document.querySelectorAll("#suggestions [role=option]")];

const closeList = () => {
  const list = document.getElementById("suggestions");
  if (list) list.innerHTML = "";
  const title = document.getElementById("title");
  if (title) {
    title.setAttribute("aria-expanded", "false");
    title.removeAttribute("aria-activedescendant");
  }
};

const pick = (option) => {
  const title = document.getElementById("title");
  title.value = option.dataset.title;
  document.getElementById("year").value = option.dataset.year || "";
  document.getElementById("catalog-id").value = option.dataset.id || "";  // the film picked, exactly
  closeList();
  document.getElementById("rating").focus();
};

const activate = (index) => {
  const all = options();
  if (!all.length) return;
  const chosen = all[(index + all.length) % all.length];
  all.forEach((o) => o.setAttribute("aria-selected", String(o === chosen)));
  document.getElementById("title").setAttribute("aria-activedescendant", chosen.id);
  chosen.scrollIntoView({block: "nearest"});
};

document.addEventListener("click", (event) => {
  const option = event.target.closest("#suggestions [role=option]");
  if (option) pick(option);
});

document.addEventListener("htmx:afterSwap", (event) => {
  if (event.target.id === "suggestions") {
    const title = document.getElementById("title");
    title.setAttribute("aria-expanded", String(options().length > 0));
    title.removeAttribute("aria-activedescendant");
  }
});

document.addEventListener("input", (event) => {
  if (event.target.id === "title") {
    document.getElementById("year").value = "";
    document.getElementById("catalog-id").value = "";
  }
});

document.addEventListener("keydown", (event) => {
  if (event.target.id !== "title") {
    if (event.key === "Escape") closeList();
    return;
  }
  const all = options();
  const current = all.findIndex((o) => o.getAttribute("aria-selected") === "true");
  if (event.key === "ArrowDown" && all.length) {
    event.preventDefault();
    activate(current + 1);
  } else if (event.key === "ArrowUp" && all.length) {
    event.preventDefault();
    activate(current < 0 ? -1 : current - 1);
  } else if (event.key === "Enter" && current >= 0) {
    event.preventDefault();  // pick the film; the next Enter submits the form
    pick(all[current]);
  } else if (event.key === "Escape") {
    closeList();
  }
});

// After a film is logged in place, the new form's title field takes the focus for the next one.
document.addEventListener("htmx:afterSettle", (event) => {
  if (event.target.id === "diary-main") document.getElementById("title")?.focus();
});

// A polling element polls only while its switch is on (hx-trigger filters would need eval, which the
// Content-Security-Policy forbids): `data-poll-switch` names the checkbox.
document.addEventListener("htmx:beforeRequest", (event) => {
  const id = event.target.dataset?.pollSwitch;
  if (id && !document.getElementById(id)?.checked) event.preventDefault();
});

// A recommended film opened: said to the server as the link is followed (a beacon survives the
// navigation; the form beside it carries the page's CSRF token).
document.addEventListener("click", (event) => {
  const link = event.target.closest(".rec a[href]");
  const card = link?.closest("[data-movie-id]");
  const token = card?.querySelector("input[name=_csrf_token]");
  if (!card || !token) return;
  const body = new URLSearchParams({movie_id: card.dataset.movieId, _csrf_token: token.value});
  navigator.sendBeacon("/recommendations/click", body);
});
