// Asks before sending a form that carries data-confirm (the question); cancelling keeps the
// page as it was. Replaces inline onsubmit handlers, which the CSP refuses.
document.addEventListener("submit", function (e) {
  var question = e.target.getAttribute && e.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) e.preventDefault();
});

// A select marked data-autosubmit sends its form on a change (the destination form's category
// loads its sub-categories); without scripts the form's own button does the same.
document.addEventListener("change", function (e) {
  if (e.target.hasAttribute && e.target.hasAttribute("data-autosubmit") && e.target.form) {
    e.target.form.submit();
  }
});
