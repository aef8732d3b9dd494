"use strict";
// The settings page: send what changed (PUT /api/settings), show each refused value's reason next to its field,
// and send a test notification. Secrets come masked; a masked value sent back unchanged keeps the secret.

(() => {
  const { api } = Amphigory;
  const form = document.getElementById("settings-form");
  const status = document.getElementById("save-status");
  const fields = [...form.querySelectorAll(".setting")]
    .map((box) => ({ box, name: box.dataset.name, kind: box.dataset.kind, input: box.querySelector("[name]") }))
    .filter((f) => f.input);

  function valueOf(field) {
    if (field.kind === "flag") return field.input.checked;
    if (field.kind === "lines" || field.kind === "secret_lines") {
      return field.input.value.split("\n").map((line) => line.trim()).filter(Boolean);
    }
    return field.input.value.trim();
  }

  const initial = new Map(fields.map((f) => [f.name, JSON.stringify(valueOf(f))]));

  function showErrors(errors) {
    for (const field of fields) {
      const box = field.box.querySelector(".field-error");
      const message = errors[field.name];
      box.hidden = !message;
      box.textContent = message || "";
      field.input.setAttribute("aria-invalid", message ? "true" : "false");
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = {};
    for (const field of fields) {
      const value = valueOf(field);
      if (JSON.stringify(value) !== initial.get(field.name)) values[field.name] = value === "" ? null : value;
    }
    if (!Object.keys(values).length) {
      status.textContent = "Nothing changed.";
      return;
    }
    status.textContent = "Saving…";
    try {
      await api("PUT", "/api/settings", { values });
    } catch (err) {
      showErrors((err.data && err.data.errors) || {});
      status.textContent = `Not saved: ${err.data && err.data.errors ? "see the fields marked" : err.message}.`;
      return;
    }
    showErrors({});
    for (const field of fields) initial.set(field.name, JSON.stringify(valueOf(field)));
    status.textContent = "Saved.";
    // Secrets come back masked: reload so the page shows what is stored, as a fresh visit would.
    window.location.reload();
  });

  const test = document.getElementById("test-notify");
  if (test) {
    test.addEventListener("click", async () => {
      const result = document.getElementById("test-result");
      const notify = fields.find((f) => f.name === "notify");
      result.textContent = "Sending…";
      try {
        const body = await api("POST", "/api/settings/test-notification", { urls: valueOf(notify) });
        result.textContent = `Sent to ${body.sent} URL${body.sent === 1 ? "" : "s"}.`;
      } catch (err) {
        result.textContent = `Not sent: ${(err.data && err.data.errors && err.data.errors.notify) || err.message}`;
      }
    });
  }
})();
