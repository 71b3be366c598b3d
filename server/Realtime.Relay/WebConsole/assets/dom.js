// Small DOM helpers. Children given as strings become text nodes, so data never becomes markup.
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

/** Shows one message in <parent> (replacing the previous one), announced to screen readers. */
export function message(parent, text, kind = "info") {
  let box = parent.querySelector(":scope > .message");
  if (!box) {
    box = el("p", { role: kind === "bad" ? "alert" : "status" });
    parent.append(box);
  }
  box.className = "message " + kind;
  box.textContent = text;
  return box;
}

export function when(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

/** A button that asks for a second click before doing something that cannot be undone. */
export function confirmButton(label, confirmLabel, action) {
  const button = el("button", { type: "button", class: "danger" }, label);
  let armed = false;
  button.addEventListener("click", async () => {
    if (!armed) { armed = true; button.textContent = confirmLabel; return; }
    button.disabled = true;
    try { await action(); } finally { button.disabled = false; armed = false; button.textContent = label; }
  });
  button.addEventListener("blur", () => { if (armed) { armed = false; button.textContent = label; } });
  return button;
}
