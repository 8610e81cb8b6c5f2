// The dashboard's only script: pages marked data-refresh reload their main part, and
// tables marked sortable sort by a clicked column. No inline script anywhere (the CSP
// forbids it), and server HTML is the only HTML inserted: the server escapes feed text.
"use strict";

function refresh(main) {
  const seconds = Number(main.dataset.refresh);
  if (!seconds) return;
  setInterval(async () => {
    if (document.hidden || main.contains(document.activeElement)) return;
    try {
      const answer = await fetch(location.href, { headers: { "X-Fragment": "1" } });
      if (answer.ok) main.innerHTML = await answer.text();
    } catch (error) {
      // The next tick tries again; the page keeps what it shows.
    }
  }, seconds * 1000);
}

function sortable(table) {
  table.querySelectorAll("th").forEach((header, column) => {
    header.addEventListener("click", () => {
      const body = table.tBodies[0];
      const rows = Array.from(body.rows);
      const up = header.dataset.order !== "up";
      header.dataset.order = up ? "up" : "down";
      const key = (row) => row.cells[column] ? row.cells[column].textContent.trim() : "";
      rows.sort((a, b) => key(a).localeCompare(key(b), undefined, { numeric: true }) * (up ? 1 : -1));
      rows.forEach((row) => body.appendChild(row));
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const main = document.getElementById("main");
  if (main) refresh(main);
  document.querySelectorAll("table.sortable").forEach(sortable);
});
