// The results page of a bulk update being processed: asks now and then
// whether it is done, and shows the results when it is. Without JavaScript,
// the page's "Check again" link does the same.
(function () {
  "use strict";
  var box = document.querySelector("[data-bulk-progress]");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-status-url");
  var asked = 0;

  function ask() {
    asked += 1;
    window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (upload) {
        if (upload && upload.status && upload.status !== "received") {
          window.location.reload();
        } else if (upload && asked < 120) {
          window.setTimeout(ask, Math.min(1500 + asked * 500, 10000));
        }
      })
      .catch(function () { /* signed out or offline: the "Check again" link still works */ });
  }

  window.setTimeout(ask, 1500);
}());
