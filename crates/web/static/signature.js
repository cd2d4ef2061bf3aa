// Signature pad: draws with a finger or a mouse on each canvas.signature-pad and, on submit,
// puts the drawing into the form's hidden "drawn" field as a PNG data URL (unless a file was
// chosen instead). No other script runs on the page.
(function () {
  document.querySelectorAll("form.signature-form").forEach(function (form) {
    var canvas = form.querySelector("canvas.signature-pad");
    if (!canvas) return;
    var ctx = canvas.getContext("2d");
    var drawn = false, down = false;
    ctx.lineWidth = 4; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
    function point(e) {
      var r = canvas.getBoundingClientRect();
      return { x: (e.clientX - r.left) * canvas.width / r.width, y: (e.clientY - r.top) * canvas.height / r.height };
    }
    canvas.addEventListener("pointerdown", function (e) {
      down = true; var p = point(e); ctx.beginPath(); ctx.moveTo(p.x, p.y);
      canvas.setPointerCapture(e.pointerId); e.preventDefault();
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!down) return; var p = point(e); ctx.lineTo(p.x, p.y); ctx.stroke(); drawn = true; e.preventDefault();
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (t) {
      canvas.addEventListener(t, function () { down = false; });
    });
    var clear = form.querySelector(".signature-clear");
    if (clear) clear.addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false;
    });
    form.addEventListener("submit", function (e) {
      var file = form.querySelector("input[type=file]");
      var hidden = form.querySelector("input[name=drawn]");
      if (file && file.files.length > 0) return;
      if (!drawn) { e.preventDefault(); alert("请先在签名板上签名，或选择签名图片"); return; }
      hidden.value = canvas.toDataURL("image/png");
    });
  });
})();
