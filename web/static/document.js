// The document page: bring the highlighted quote into view.
"use strict";

(function () {
  const mark = document.getElementById("quote");
  if (mark) {
    mark.scrollIntoView({ block: "center" });
    mark.focus({ preventScroll: true });
  }
})();
