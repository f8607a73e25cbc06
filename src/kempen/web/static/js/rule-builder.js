// Kempen's visual rule builder: plain JavaScript, no framework, no build step.
//
// It edits the same rule as the text editor. The server stays the authority on both spellings:
// each change here posts the rule's JSON (htmx, through the hidden #rule-json input) and the answer
// brings the canonical text back into the textarea; a valid edit of the text re-renders the builder
// from the JSON the server returns. Nodes the builder cannot edit show as read-only text chips.
(function () {
  "use strict";

  const configElement = document.getElementById("rule-builder-config");
  const mount = document.getElementById("rule-builder");
  const textArea = document.getElementById("rule-text");
  const jsonInput = document.getElementById("rule-json");
  if (!configElement || !mount || !textArea || !jsonInput) return;
  const config = JSON.parse(configElement.textContent);

  const FIELDS = new Map();
  config.fields.forEach((group) => group.fields.forEach((f) => FIELDS.set(f.name, f)));
  const EDITABLE = new Set(["compare", "days_since", "aggregate", "ever", "clicked", "tag", "in_list", "in_segment",
    "consent"]);
  const OP_LABELS = {
    "=": "is", "!=": "is not", "<": "is less than", "<=": "is at most", ">": "is more than", ">=": "is at least",
    in: "is one of", not_in: "is none of", contains: "contains", starts_with: "starts with",
    ends_with: "ends with", is_set: "is set", is_not_set: "is not set",
  };
  const DATE_OP_LABELS = { "<": "is before", "<=": "is on or before", ">": "is after", ">=": "is on or after",
    "=": "is on", "!=": "is not on" };
  const NUMERIC_OPS = [">=", ">", "=", "!=", "<=", "<"];
  const UNITS = [["h", "hours"], ["d", "days"], ["w", "weeks"], ["y", "years"]];
  const GROUP_MODES = [["and", "all of"], ["or", "any of"], ["nor", "none of"], ["nand", "not all of"]];
  const FUNCTIONS = [["count", "Number of"], ["sum", "Total"], ["avg", "Average"], ["min", "Smallest"],
    ["max", "Largest"]];
  const BLOCKS = [
    ["compare", "Field condition"], ["tag", "Has tag"], ["in_list", "On list"], ["in_segment", "In segment"],
    ["consent", "Consent"], ["ever", "Did event"], ["never", "Never did event"], ["orders", "Order count"],
    ["events", "Event count"], ["days_since", "Days since"], ["clicked", "Clicked campaign"], ["group", "Group"],
  ];
  const KIND_LABELS = {
    compare: "Field", days_since: "Days since", aggregate: "Count", ever: "Event", clicked: "Click", tag: "Tag",
    in_list: "List", in_segment: "Segment", consent: "Consent",
  };

  let nextId = 0;
  let model = fromRule(config.rule, config.opaque || {});
  let stale = false; // the text does not parse: show the last valid rule, read-only
  let nodePaths = new Map(); // node id -> its path in the JSON last sent, to place errors

  // The model: groups (and/or, possibly negated) of leaves (a rule node edited in place) and opaque chips.

  function group(op, negated, children) { return { kind: "group", id: ++nextId, op, negated, children }; }
  function leaf(rule) { return { kind: "leaf", id: ++nextId, rule }; }
  function chip(rule, text) { return { kind: "opaque", id: ++nextId, rule, text }; }
  function clone(value) { return JSON.parse(JSON.stringify(value)); }
  function normPath(path) { return String(path).split(/[./]/).filter(Boolean).join("."); }
  function join(path, step) { return path ? path + "." + step : String(step); }

  function fromRule(rule, opaque) {
    const texts = {};
    Object.keys(opaque).forEach((key) => { texts[normPath(key)] = opaque[key]; });
    if (!rule) return group("and", false, []);
    const node = fromNode(rule, "", texts);
    return node.kind === "group" ? node : group("and", false, [node]);
  }

  function fromNode(rule, path, texts) {
    const children = (rules, base) => rules.map((r, i) => fromNode(r, join(base, "rules." + i), texts));
    if (rule.type === "and" || rule.type === "or") return group(rule.type, false, children(rule.rules, path));
    if (rule.type === "not") {
      const inner = rule.rule;
      const base = join(path, "rule");
      if (inner.type === "and" || inner.type === "or") return group(inner.type, true, children(inner.rules, base));
      return group("or", true, [fromNode(inner, base, texts)]);
    }
    if (path in texts || !EDITABLE.has(rule.type)) return chip(rule, texts[path] || JSON.stringify(rule));
    return leaf(clone(rule));
  }

  function hasContent(node) { return node.kind !== "group" || node.children.some(hasContent); }

  function toRule(node, path, paths) {
    paths.set(node.id, path);
    if (node.kind !== "group") return clone(node.rule);
    const parts = node.children.filter(hasContent);
    if (!parts.length) return null;
    if (parts.length === 1) {
      if (node.negated) return { type: "not", rule: toRule(parts[0], join(path, "rule"), paths) };
      return toRule(parts[0], path, paths);
    }
    const base = node.negated ? join(path, "rule") : path;
    const body = { type: node.op, rules: parts.map((c, i) => toRule(c, join(base, "rules." + i), paths)) };
    return node.negated ? { type: "not", rule: body } : body;
  }

  // Defaults for new nodes and for a field whose type changed.

  function fieldType(name) { return (FIELDS.get(name) || { type: "text" }).type; }
  function operatorsFor(type) { return config.operators[type] || config.operators.text; }
  function isAgo(value) { return value !== null && typeof value === "object" && !Array.isArray(value); }

  function defaultValue(spec, op) {
    if (op === "is_set" || op === "is_not_set") return null;
    const type = spec ? spec.type : "text";
    if (op === "in" || op === "not_in") return spec && spec.choices.length ? [spec.choices[0]] : [];
    if (type === "number") return 0;
    if (type === "boolean") return true;
    if (type === "choice") return spec.choices[0] || "";
    if (type === "date" || type === "datetime") return { ago: { amount: 30, unit: "d" } };
    return "";
  }

  function defaultOp(type) {
    return { number: ">=", date: ">", datetime: ">" }[type] || "=";
  }

  function newBlock(kind) {
    const firstField = config.fields.length ? config.fields[0].fields[0].name : "country";
    const spec = FIELDS.get(firstField);
    const aggregate = (source) => ({ type: "aggregate", source, function: "count", measure: null,
      event: source === "events" ? "" : null, where: [], window: { amount: 90, unit: "d" }, op: ">=", value: 1 });
    const make = {
      compare: () => ({ type: "compare", field: firstField, op: defaultOp(spec.type), value: defaultValue(spec, "=") }),
      tag: () => ({ type: "tag", name: config.tags[0] || "" }),
      in_list: () => ({ type: "in_list", name: config.lists[0] || "" }),
      in_segment: () => ({ type: "in_segment", name: config.segments[0] || "" }),
      consent: () => ({ type: "consent", channel: "email" }),
      ever: () => ({ type: "ever", event: "", negated: false, window: null }),
      never: () => ({ type: "ever", event: "", negated: true, window: null }),
      orders: () => aggregate("orders"),
      events: () => aggregate("events"),
      days_since: () => ({ type: "days_since", field: "last_order", op: ">", value: 30 }),
      clicked: () => ({ type: "clicked", campaign: "", window: { amount: 30, unit: "d" } }),
    };
    if (kind === "group") return group("or", false, [leaf(make.compare())]);
    return leaf(make[kind]());
  }

  // DOM helpers: every control has an id (to keep focus across re-renders) and an accessible name.

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (value === null || value === undefined || value === false) return;
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach((child) => { if (child) node.append(child); });
    return node;
  }

  function option(value, label, selected) {
    const o = el("option", { value, text: label });
    o.selected = selected;
    return o;
  }

  function selectBox(id, label, options, value, onChange) {
    const box = el("select", { id, "aria-label": label, class: "rb-select", onchange: (e) => onChange(e.target.value) });
    options.forEach(([v, text]) => box.append(option(v, text, String(v) === String(value))));
    if (value !== null && value !== undefined && !options.some(([v]) => String(v) === String(value))) {
      box.prepend(option(value, value, true)); // keep a value that is not offered any more
    }
    return box;
  }

  function textBox(id, label, value, onInput, attrs) {
    return el("input", Object.assign({ id, "aria-label": label, class: "rb-input", type: "text",
      value: value === null || value === undefined ? "" : value, autocomplete: "off",
      oninput: (e) => onInput(e.target.value) }, attrs || {}));
  }

  function word(text) { return el("span", { class: "rb-word", text }); }

  function dataList(id, values) {
    return el("datalist", { id }, values.map((v) => el("option", { value: v })));
  }

  function toNumber(text) {
    const n = Number(text);
    return text.trim() === "" ? null : (Number.isFinite(n) ? n : text);
  }

  // Editors: each returns the controls of one node; `edit` marks a change, `rebuild` also re-renders.

  function edit() { changed(); }
  function rebuild() { render(); changed(); }

  function windowEditor(id, rule) {
    const parts = [selectBox(id + "-window", "Time window", [["any", "at any time"], ["last", "in the last"]],
      rule.window ? "last" : "any", (v) => { rule.window = v === "last" ? { amount: 30, unit: "d" } : null; rebuild(); })];
    if (rule.window) {
      parts.push(textBox(id + "-amount", "Window length", rule.window.amount,
        (v) => { rule.window.amount = toNumber(v); edit(); }, { type: "number", min: "0", step: "1", class: "rb-input rb-num" }));
      parts.push(selectBox(id + "-unit", "Window unit", UNITS, rule.window.unit, (v) => { rule.window.unit = v; edit(); }));
    }
    return parts;
  }

  function fieldSelect(id, rule, filter, onChange) {
    const box = el("select", { id, "aria-label": "Field", class: "rb-select rb-field",
      onchange: (e) => onChange(e.target.value) });
    config.fields.forEach((g) => {
      const fields = g.fields.filter(filter);
      if (!fields.length) return;
      box.append(el("optgroup", { label: g.label }, fields.map((f) => option(f.name, f.label, f.name === rule.field))));
    });
    if (!FIELDS.has(rule.field)) box.prepend(option(rule.field, rule.field, true));
    return box;
  }

  function compareValue(id, rule, spec) {
    const type = spec ? spec.type : "text";
    const op = rule.op;
    if (op === "is_set" || op === "is_not_set") return [];
    if (op === "in" || op === "not_in") {
      const values = Array.isArray(rule.value) ? rule.value : [];
      if (type === "choice") return [choiceChecks(id, rule, spec, values)];
      return [textBox(id + "-value", "Values, separated by commas", values.join(", "), (v) => {
        const items = v.split(",").map((s) => s.trim()).filter(Boolean);
        rule.value = type === "number" ? items.map(toNumber) : items;
        edit();
      }, { placeholder: "one, two, three" })];
    }
    if (type === "number") {
      return [textBox(id + "-value", "Value", rule.value, (v) => { rule.value = toNumber(v); edit(); },
        { type: "number", step: "any", class: "rb-input rb-num" })];
    }
    if (type === "boolean") {
      return [selectBox(id + "-value", "Value", [["true", "yes"], ["false", "no"]], String(rule.value),
        (v) => { rule.value = v === "true"; edit(); })];
    }
    if (type === "choice") {
      return [selectBox(id + "-value", "Value", spec.choices.map((c) => [c, c]), rule.value,
        (v) => { rule.value = v; edit(); })];
    }
    if (type === "date" || type === "datetime") return dateValue(id, rule);
    return [textBox(id + "-value", "Value", rule.value, (v) => { rule.value = v; edit(); })];
  }

  function choiceChecks(id, rule, spec, values) {
    const box = el("span", { class: "rb-choices", role: "group", "aria-label": "Values" });
    spec.choices.forEach((choice, i) => {
      const check = el("input", { type: "checkbox", id: id + "-choice-" + i, value: choice, onchange: (e) => {
        const chosen = new Set(Array.isArray(rule.value) ? rule.value : []);
        if (e.target.checked) chosen.add(choice); else chosen.delete(choice);
        rule.value = spec.choices.filter((c) => chosen.has(c));
        edit();
      } });
      check.checked = values.includes(choice);
      box.append(el("label", { class: "rb-choice", for: id + "-choice-" + i }, [check, document.createTextNode(choice)]));
    });
    return box;
  }

  function dateValue(id, rule) {
    const ago = isAgo(rule.value);
    const parts = [];
    if (ago) {
      parts.push(textBox(id + "-amount", "How long ago", rule.value.ago.amount, (v) => {
        rule.value.ago.amount = toNumber(v); edit();
      }, { type: "number", min: "0", step: "1", class: "rb-input rb-num" }));
      parts.push(selectBox(id + "-unit", "Unit", UNITS, rule.value.ago.unit, (v) => { rule.value.ago.unit = v; edit(); }));
      parts.push(word("ago"));
    } else {
      const shown = typeof rule.value === "string" ? rule.value.slice(0, 10) : "";
      parts.push(textBox(id + "-value", "Date", shown, (v) => { rule.value = v; edit(); }, { type: "date" }));
    }
    parts.push(selectBox(id + "-mode", "Relative time or a date", [["ago", "relative"], ["date", "on a date"]],
      ago ? "ago" : "date", (v) => {
        rule.value = v === "ago" ? { ago: { amount: 30, unit: "d" } } : new Date().toISOString().slice(0, 10);
        rebuild();
      }));
    return parts;
  }

  function compareEditor(id, rule) {
    const spec = FIELDS.get(rule.field);
    const type = spec ? spec.type : "text";
    const labels = type === "date" || type === "datetime" ? Object.assign({}, OP_LABELS, DATE_OP_LABELS) : OP_LABELS;
    const ops = operatorsFor(type).map((op) => [op, labels[op] || op]);
    return [
      fieldSelect(id + "-field", rule, () => true, (name) => {
        const next = FIELDS.get(name);
        const keepType = next && spec && next.type === spec.type && next.type !== "choice";
        rule.field = name;
        if (!keepType) { rule.op = defaultOp(next ? next.type : "text"); rule.value = defaultValue(next, rule.op); }
        rebuild();
      }),
      selectBox(id + "-op", "Operator", ops, rule.op, (op) => {
        const wasList = Array.isArray(rule.value);
        const isList = op === "in" || op === "not_in";
        rule.op = op;
        if (op === "is_set" || op === "is_not_set") rule.value = null;
        else if (isList && !wasList) rule.value = rule.value === null || rule.value === "" ? [] : [rule.value];
        else if (!isList && (wasList || rule.value === null)) {
          rule.value = wasList && rule.value.length ? rule.value[0] : defaultValue(spec, op);
        }
        rebuild();
      }),
      ...compareValue(id, rule, spec),
    ];
  }

  function numericTail(id, rule) {
    return [
      selectBox(id + "-op", "Operator", NUMERIC_OPS.map((op) => [op, OP_LABELS[op]]), rule.op,
        (op) => { rule.op = op; edit(); }),
      textBox(id + "-value", "Number", rule.value, (v) => { rule.value = toNumber(v); edit(); },
        { type: "number", step: "any", class: "rb-input rb-num" }),
    ];
  }

  function daysSinceEditor(id, rule) {
    const isTime = (f) => f.type === "date" || f.type === "datetime";
    return [fieldSelect(id + "-field", rule, isTime, (name) => { rule.field = name; edit(); }), ...numericTail(id, rule)];
  }

  function aggregateEditor(id, rule) {
    const parts = [selectBox(id + "-function", "Measure", FUNCTIONS, rule.function, (fn) => {
      rule.function = fn;
      rule.measure = fn === "count" ? null : (rule.source === "orders" ? "amount" : rule.measure || "");
      rebuild();
    })];
    if (rule.function !== "count") {
      parts.push(rule.source === "orders"
        ? selectBox(id + "-measure", "Order value", [["amount", "amount"]], rule.measure, (v) => { rule.measure = v; edit(); })
        : textBox(id + "-measure", "Event property", rule.measure, (v) => { rule.measure = v; edit(); },
          { placeholder: "property" }));
      parts.push(word("of"));
    }
    parts.push(selectBox(id + "-source", "Counted rows", [["orders", "orders"], ["events", "events"]], rule.source, (src) => {
      rule.source = src;
      rule.event = src === "events" ? rule.event || "" : null;
      if (rule.function !== "count") rule.measure = src === "orders" ? "amount" : "";
      rebuild();
    }));
    if (rule.source === "events") {
      parts.push(word("named"));
      parts.push(textBox(id + "-event", "Event name", rule.event, (v) => { rule.event = v; edit(); },
        { placeholder: "event name" }));
    }
    return [...parts, ...windowEditor(id, rule), ...numericTail(id, rule)];
  }

  function everEditor(id, rule) {
    return [
      selectBox(id + "-negated", "Did or never did", [["false", "Has done"], ["true", "Has never done"]],
        String(rule.negated), (v) => { rule.negated = v === "true"; edit(); }),
      textBox(id + "-event", "Event name", rule.event, (v) => { rule.event = v; edit(); }, { placeholder: "event name" }),
      ...windowEditor(id, rule),
    ];
  }

  function nameEditor(id, rule, caption, listId) {
    return [word(caption), textBox(id + "-name", caption, rule.name, (v) => { rule.name = v; edit(); },
      { list: listId, placeholder: "name" })];
  }

  function leafEditor(id, rule) {
    switch (rule.type) {
      case "compare": return compareEditor(id, rule);
      case "days_since": return [word("Days since"), ...daysSinceEditor(id, rule)];
      case "aggregate": return aggregateEditor(id, rule);
      case "ever": return everEditor(id, rule);
      case "clicked": return [word("Clicked in campaign"), textBox(id + "-campaign", "Campaign", rule.campaign,
        (v) => { rule.campaign = v; edit(); }, { placeholder: "campaign" }), ...windowEditor(id, rule)];
      case "tag": return nameEditor(id, rule, "Has tag", "rb-tags");
      case "in_list": return nameEditor(id, rule, "Is on list", "rb-lists");
      case "in_segment":
        return config.segments.length
          ? [word("Is in segment"), selectBox(id + "-name", "Segment", config.segments.map((s) => [s, s]), rule.name,
            (v) => { rule.name = v; edit(); })]
          : nameEditor(id, rule, "Is in segment", null);
      case "consent": return [word("Can be reached by"), selectBox(id + "-channel", "Channel",
        config.channels.map((c) => [c, c.replace("_", " ")]), rule.channel, (v) => { rule.channel = v; edit(); })];
      default: return [];
    }
  }

  // Rendering.

  function removeButton(parent, node, what) {
    return el("button", { type: "button", class: "rb-remove", id: "rb-" + node.id + "-remove",
      "aria-label": "Remove this " + what, title: "Remove this " + what, onclick: () => {
        parent.children.splice(parent.children.indexOf(node), 1);
        rebuild();
        const add = document.getElementById("rb-" + parent.id + "-block");
        if (add) add.focus();
      } }, [el("span", { "aria-hidden": "true", text: "×" })]);
  }

  function renderNode(node, parent) {
    if (node.kind === "group") return renderGroup(node, parent);
    const id = "rb-" + node.id;
    if (node.kind === "opaque") {
      return el("div", { class: "rb-row rb-opaque", "data-node": node.id }, [
        el("span", { class: "rb-kind", text: "Text" }),
        el("code", { class: "rb-chip", text: node.text }),
        el("span", { class: "rb-note", text: "Edit this part in the text above." }),
        removeButton(parent, node, "condition"),
      ]);
    }
    return el("div", { class: "rb-row", "data-node": node.id }, [
      el("span", { class: "rb-kind", text: KIND_LABELS[node.rule.type] || node.rule.type }),
      el("div", { class: "rb-controls" }, leafEditor(id, node.rule)),
      removeButton(parent, node, "condition"),
    ]);
  }

  function groupMode(node) { return node.negated ? (node.op === "or" ? "nor" : "nand") : node.op; }

  function renderGroup(node, parent) {
    const id = "rb-" + node.id;
    const joiner = node.op === "and" ? "and" : "or";
    const head = el("div", { class: "rb-group-head" }, [
      el("label", { for: id + "-mode", class: "rb-word", text: parent ? "Match" : "Contacts who match" }),
      selectBox(id + "-mode", "How to combine", GROUP_MODES, groupMode(node), (mode) => {
        node.op = mode === "and" || mode === "nand" ? "and" : "or";
        node.negated = mode === "nor" || mode === "nand";
        rebuild();
      }),
      word("of these:"),
      parent ? removeButton(parent, node, "group") : null,
    ]);
    const list = el("ul", { class: "rb-children", "data-joiner": node.negated ? "·" : joiner },
      node.children.map((child) => el("li", {}, [renderNode(child, node)])));
    const empty = node.children.length ? null : el("p", { class: "rb-empty",
      text: parent ? "This group is empty." : "No conditions yet. Add one to start building the rule." });
    const blockId = id + "-block";
    const add = el("div", { class: "rb-add" }, [
      el("label", { for: blockId, class: "visually-hidden", text: "Building block to add" }),
      selectBox(blockId, "Building block to add", BLOCKS, "compare", () => {}),
      el("button", { type: "button", class: "button button-small button-secondary", id: id + "-add", onclick: () => {
        const block = newBlock(document.getElementById(blockId).value);
        node.children.push(block);
        rebuild();
        const first = document.querySelector('[data-node="' + block.id + '"] select, [data-node="' + block.id + '"] input');
        if (first) first.focus();
      } }, [el("span", { "aria-hidden": "true", text: "+ " }), document.createTextNode(parent ? "Add to group" : "Add")]),
    ]);
    return el("div", { class: "rb-group" + (parent ? " rb-subgroup" : ""), "data-node": node.id, role: "group",
      "aria-label": parent ? "Group of conditions" : "All conditions" }, [head, list, empty, add]);
  }

  function render() {
    const active = document.activeElement;
    const focusId = active && mount.contains(active) ? active.id : null;
    const body = el("fieldset", { class: "rb-body", disabled: stale }, [
      el("legend", { class: "visually-hidden", text: "Rule conditions" }),
      renderGroup(model, null),
      dataList("rb-tags", config.tags),
      dataList("rb-lists", config.lists),
    ]);
    const notice = stale ? el("p", { class: "rb-stale-note", role: "note",
      text: "The text has a problem, so this shows the last valid rule. Fix the text to go on building here." }) : null;
    mount.replaceChildren(...[notice, body].filter(Boolean));
    mount.classList.toggle("rb-stale", stale);
    if (focusId) {
      const again = document.getElementById(focusId);
      if (again) again.focus();
    }
  }

  // Talking to the server.

  function changed() {
    const paths = new Map();
    const rule = toRule(model, "", paths);
    nodePaths = paths;
    jsonInput.value = JSON.stringify(rule);
    window.htmx.trigger(jsonInput, "rule-changed");
  }

  function markErrors(paths) {
    mount.querySelectorAll(".rb-invalid").forEach((n) => n.classList.remove("rb-invalid"));
    paths.filter((p) => p !== null).forEach((raw) => {
      const path = normPath(raw);
      let best = null;
      let bestLength = -1;
      nodePaths.forEach((nodePath, id) => {
        const hit = path === nodePath || nodePath === "" || path.startsWith(nodePath + ".");
        if (hit && nodePath.length > bestLength) { best = id; bestLength = nodePath.length; }
      });
      const row = best === null ? null : mount.querySelector('[data-node="' + best + '"]');
      if (row) row.classList.add("rb-invalid");
    });
  }

  function applyResult(result) {
    const state = result.dataset.state;
    if (result.dataset.source === "builder") {
      if (state === "valid") textArea.value = result.dataset.text;
      if (state === "empty") textArea.value = "";
      fitText();
      if (state !== "invalid") jsonInput.value = ""; // the text says it all again
      markErrors(JSON.parse(result.dataset.errors));
      return;
    }
    stale = state === "invalid";
    if (state === "valid") model = fromRule(JSON.parse(result.dataset.rule), JSON.parse(result.dataset.opaque));
    if (state === "empty") model = group("and", false, []);
    render();
  }

  function fitText() {
    textArea.style.height = "auto";
    textArea.style.height = textArea.scrollHeight + 2 + "px";
  }

  // Typing makes the text the newer spelling: a save then sends the text, not the builder's JSON.
  textArea.addEventListener("input", () => { jsonInput.value = ""; fitText(); });
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "rule-check") {
      const result = document.getElementById("rule-check-result");
      if (result) applyResult(result);
    }
  });

  const initial = document.getElementById("rule-check-result");
  stale = Boolean(initial && initial.dataset.state === "invalid");
  render();
  fitText();
})();
