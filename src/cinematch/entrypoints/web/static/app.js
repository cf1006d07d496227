// The few behaviours htmx does not cover: picking a catalog suggestion fills the title and
// year; Escape closes the list. No other script runs on the pages.
document.addEventListener("click", (event) => {
  const pick = event.target.closest("button.suggestion");
  if (!pick) return;
  const title = document.getElementById("title");
  title.value = pick.dataset.title;
  document.getElementById("year").value = pick.dataset.year || "";
  document.getElementById("catalog-id").value = pick.dataset.id || "";  // the film picked, exactly
  document.getElementById("suggestions").innerHTML = "";
  title.setAttribute("aria-expanded", "false");
  document.getElementById("rating").focus();
});
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.target.id === "suggestions") {
    const open = event.target.querySelector("button.suggestion") !== null;
    document.getElementById("title").setAttribute("aria-expanded", String(open));
  }
});
document.addEventListener("input", (event) => {
  if (event.target.id === "title") {
    document.getElementById("year").value = "";
    document.getElementById("catalog-id").value = "";
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && document.getElementById("suggestions")) {
    document.getElementById("suggestions").innerHTML = "";
  }
});
// After a film is logged in place, the new form's title field takes the focus for the next one.
document.addEventListener("htmx:afterSettle", (event) => {
  if (event.target.id === "diary-main") document.getElementById("title")?.focus();
});
