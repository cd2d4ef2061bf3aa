// Asks before sending a form that carries data-confirm (the question); cancelling keeps the
// page as it was. Replaces inline onsubmit handlers, which the CSP refuses.
document.addEventListener("submit", function (e) {
  var question = e.target.getAttribute && e.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) e.preventDefault();
});
