/*
 * Zoom into a sheet while typing its figures: +, −, "fit", the keyboard (+ / − / 0 on the focused image)
 * and a double click (or double tap) that zooms in on the point clicked. The image is the full-resolution
 * re-encode, so a zoomed figure stays sharp; the box scrolls (drag or swipe) to any part of it. Without
 * scripts the sheet is shown whole.
 */
(function () {
  "use strict";

  const LEVELS = [1, 1.5, 2, 3, 4, 6];

  for (const view of document.querySelectorAll(".sheet-view")) {
    const box = view.querySelector(".zoom");
    const image = box && box.querySelector("img");
    if (!image) continue;
    let level = 0;

    /** Zoom to LEVELS[index], keeping the point (x, y) of the box (default: its centre) where it is. */
    function zoomTo(index, x, y) {
      const before = LEVELS[level];
      level = Math.max(0, Math.min(LEVELS.length - 1, index));
      const after = LEVELS[level];
      const px = x === undefined ? box.clientWidth / 2 : x;
      const py = y === undefined ? box.clientHeight / 2 : y;
      const sx = (box.scrollLeft + px) / before;
      const sy = (box.scrollTop + py) / before;
      image.style.width = after * 100 + "%";
      box.dataset.zoom = String(after);
      box.scrollLeft = sx * after - px;
      box.scrollTop = sy * after - py;
    }

    view.querySelector('[data-zoom="in"]').addEventListener("click", () => zoomTo(level + 1));
    view.querySelector('[data-zoom="out"]').addEventListener("click", () => zoomTo(level - 1));
    view.querySelector('[data-zoom="fit"]').addEventListener("click", () => zoomTo(0));
    box.addEventListener("dblclick", (event) => {
      const rect = box.getBoundingClientRect();
      zoomTo(level === 0 ? 3 : 0, event.clientX - rect.left, event.clientY - rect.top);
    });
    box.addEventListener("keydown", (event) => {
      if (event.key === "+" || event.key === "=") zoomTo(level + 1);
      else if (event.key === "-") zoomTo(level - 1);
      else if (event.key === "0") zoomTo(0);
      else return;
      event.preventDefault();
    });
  }
})();
