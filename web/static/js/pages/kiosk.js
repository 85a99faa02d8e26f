// Clinic kiosk start screen: the code field keeps the focus, typed codes are grouped.
const input = document.querySelector("[data-testid='kiosk-code']");
input.focus();
input.addEventListener("input", () => {
  const raw = input.value.toUpperCase().replace(/[^0-9A-Z]/g, "").slice(0, 32);
  const grouped = raw.match(/.{1,4}/g)?.join("-") || "";
  if (grouped !== input.value) input.value = grouped;
});
