// Fetches /json and shows its message: proves the page's script ran and the API answered.
(function () {
  var status = document.getElementById("status");
  fetch("/json")
    .then(function (r) { return r.json(); })
    .then(function (body) {
      status.textContent = "JavaScript ran; /json says: " + body.message;
      status.className = "ok";
    })
    .catch(function (e) { status.textContent = "fetch /json failed: " + e; });
})();
