// The playground's web chat: renders the emulator's chats as Telegram's apps would, and sends
// what the user does to the playground's API. Live updates come from one Server-Sent Events
// stream (/api/events); see bot/playground/webchat.py for the API.
"use strict";

const state = {
  bot: { first_name: "castbot", username: "" },
  users: [],
  activeId: null,
  ready: false,
  chats: new Map(), // user id -> Map(message_id -> Message)
  menus: new Map(), // user id -> [{command, description}]
  unread: new Map(), // user id -> count
  pending: new Map(), // callback query id -> button key, until the bot answers it
  answered: new Set(), // callback query ids the bot answered (perhaps before press() heard)
  pressed: new Set(), // button keys waiting for an answer (shown as busy)
};
const BUSY_MILLISECONDS = 10000; // Telegram's apps stop waiting for an answer about then

const $ = (id) => document.getElementById(id);
const STORAGE_KEY = "castbot-playground-user";

// --- Server-Sent Events -------------------------------------------------------------------

function connect() {
  const source = new EventSource("/api/events");
  source.addEventListener("hello", (event) => {
    const hello = JSON.parse(event.data);
    state.bot = hello.bot;
    state.users = hello.users;
    state.ready = false;
    state.chats = new Map(hello.users.map((user) => [user.id, new Map()]));
    state.unread = new Map();
    const saved = Number(localStorage.getItem(STORAGE_KEY));
    const known = hello.users.some((user) => user.id === saved);
    state.activeId = known ? saved : hello.users[0].id;
    renderHeader();
    renderUsers();
  });
  source.addEventListener("message", (event) => {
    const { chat_id: chatId, message } = JSON.parse(event.data);
    const chat = state.chats.get(chatId);
    const isNew = !chat.has(message.message_id);
    chat.set(message.message_id, message);
    if (state.ready && isNew && chatId !== state.activeId && message.from.is_bot) {
      state.unread.set(chatId, (state.unread.get(chatId) || 0) + 1);
      renderUsers();
    }
    scheduleRender(chatId);
  });
  source.addEventListener("deleted", (event) => {
    const { chat_id: chatId, message_id: messageId } = JSON.parse(event.data);
    state.chats.get(chatId).delete(messageId);
    scheduleRender(chatId);
  });
  source.addEventListener("answer", (event) => {
    const answer = JSON.parse(event.data);
    state.answered.add(answer.query_id);
    settle(answer.query_id, answer.chat_id);
    if (answer.chat_id !== state.activeId || !answer.text) return;
    if (answer.show_alert) showAlert(answer.text);
    else showToast(answer.text);
  });
  source.addEventListener("commands", (event) => {
    const { chat_id: chatId, commands } = JSON.parse(event.data);
    state.menus.set(chatId, commands);
    if (chatId === state.activeId) renderCommands();
  });
  source.addEventListener("ready", () => {
    state.ready = true;
    setConnection("bot");
    scheduleRender(state.activeId);
  });
  source.onerror = () => setConnection("reconnecting…");
}

function setConnection(text) {
  $("connection").textContent = text;
}

// --- Rendering the chat -----------------------------------------------------------------

let renderQueued = false;

function scheduleRender(chatId) {
  if (chatId !== state.activeId || renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    renderMessages();
  });
}

function activeUser() {
  return state.users.find((user) => user.id === state.activeId);
}

function renderHeader() {
  $("bot-name").textContent = state.bot.first_name;
  $("bot-avatar").textContent = initial(state.bot.first_name);
  const user = activeUser();
  $("chat-as").textContent = user ? `you are ${user.first_name}` : "";
}

function renderUsers() {
  const nav = $("users");
  nav.replaceChildren(
    ...state.users.map((user) => {
      const button = el("button", "user");
      button.type = "button";
      button.dataset.userId = user.id;
      button.classList.toggle("active", user.id === state.activeId);
      const avatar = el("span", "avatar", initial(user.first_name));
      const name = el("span", "user-name", user.first_name);
      const role = el("span", "user-role", user.admin ? "admin" : "user");
      button.append(avatar, name, role);
      const unread = state.unread.get(user.id);
      if (unread) button.append(el("span", "unread", String(unread)));
      button.addEventListener("click", () => switchTo(user.id));
      return button;
    }),
  );
}

function switchTo(userId) {
  state.activeId = userId;
  state.unread.delete(userId);
  localStorage.setItem(STORAGE_KEY, String(userId));
  renderHeader();
  renderUsers();
  renderCommands();
  $("messages").replaceChildren();
  renderMessages();
  $("messages").scrollTop = $("messages").scrollHeight;
}

function renderMessages() {
  const container = $("messages");
  const chat = state.chats.get(state.activeId);
  if (!chat) return;
  const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 80;
  reconcile(container, blocksOf(chat));
  if (atBottom) container.scrollTop = container.scrollHeight;
}

// Consecutive messages of one media group are one album, as Telegram's apps show them.
function blocksOf(chat) {
  const messages = [...chat.values()].sort((a, b) => a.message_id - b.message_id);
  const blocks = [];
  for (const message of messages) {
    const last = blocks[blocks.length - 1];
    const group = message.media_group_id;
    if (group && last && last.group === group) last.messages.push(message);
    else blocks.push({ group, messages: [message] });
  }
  for (const block of blocks) {
    block.key = String(block.messages[0].message_id);
    const pressed = [...state.pressed].filter((key) => key.startsWith(`${state.activeId}:`));
    block.signature = JSON.stringify([block.messages, pressed]);
  }
  return blocks;
}

// Rebuild only the blocks whose messages changed, so a playing video or a scrolled album
// is left alone when a status message further down is edited.
function reconcile(container, blocks) {
  const existing = new Map([...container.children].map((node) => [node.dataset.key, node]));
  let previous = null;
  for (const block of blocks) {
    let node = existing.get(block.key);
    existing.delete(block.key);
    if (!node || node.dataset.signature !== block.signature) {
      const fresh = renderBlock(block);
      if (node) node.replaceWith(fresh);
      node = fresh;
    }
    const wanted = previous ? previous.nextSibling : container.firstChild;
    if (node !== wanted) container.insertBefore(node, wanted);
    previous = node;
  }
  for (const node of existing.values()) node.remove();
}

function renderBlock(block) {
  const first = block.messages[0];
  const last = block.messages[block.messages.length - 1];
  const fromBot = first.from.is_bot;
  const row = el("div", `msg ${fromBot ? "from-bot" : "from-user"}`);
  row.dataset.key = block.key;
  row.dataset.signature = block.signature;
  row.dataset.messageId = first.message_id;

  if (first.successful_payment) {
    row.className = "msg service";
    const paid = first.successful_payment;
    row.append(el("div", "service-text",
      `You paid ${amount(paid.total_amount, paid.currency)} to ${state.bot.first_name}.`));
    return row;
  }

  const bubble = el("div", "bubble");
  if (first.reply_to_message) bubble.append(renderReplyQuote(first.reply_to_message));
  const media = block.messages.map(renderMedia).filter(Boolean);
  if (media.length > 1) bubble.append(el("div", "album", ...media));
  else if (media.length === 1) bubble.append(media[0]);
  if (first.invoice) bubble.append(renderInvoice(first.invoice));

  const withText = block.messages.find((message) => message.text || message.caption);
  if (withText) {
    const text = withText.text ?? withText.caption;
    const entities = (withText.text ? withText.entities : withText.caption_entities) || [];
    bubble.append(el("div", "text", ...renderFormatted(text, entities)));
  }
  const meta = el("div", "meta");
  if (block.messages.some((message) => message.edit_date)) meta.append(el("span", "edited", "edited"));
  meta.append(el("span", "time", clock(last.date)));
  bubble.append(meta);
  const visual = block.messages.some((m) => m.photo || m.video || m.animation || m.sticker);
  bubble.classList.toggle("media-only", visual && !withText);
  row.append(bubble);

  const keyboard = last.reply_markup && last.reply_markup.inline_keyboard;
  if (keyboard) row.append(renderKeyboard(last, keyboard));
  return row;
}

function renderReplyQuote(original) {
  const quote = el("div", "reply-quote");
  const author = original.from.is_bot ? state.bot.first_name : original.from.first_name;
  quote.append(el("div", "reply-author", author));
  quote.append(el("div", "reply-text", summary(original)));
  return quote;
}

function summary(message) {
  if (message.text) return message.text;
  if (message.caption) return message.caption;
  for (const kind of ["photo", "video", "voice", "audio", "document", "sticker", "invoice"]) {
    if (message[kind]) return kind[0].toUpperCase() + kind.slice(1);
  }
  return "Message";
}

function fileUrl(fileId) {
  return `/api/files/${encodeURIComponent(fileId)}`;
}

function renderMedia(message) {
  if (message.photo) {
    const largest = message.photo[message.photo.length - 1];
    const link = el("a", "media photo");
    link.href = fileUrl(largest.file_id);
    link.target = "_blank";
    link.rel = "noopener";
    const image = el("img");
    image.src = fileUrl(largest.file_id);
    image.alt = "Photo";
    image.width = largest.width;
    image.height = largest.height;
    image.addEventListener("load", keepScrolledDown);
    link.append(image);
    return link;
  }
  if (message.video || message.animation) {
    const video = message.video || message.animation;
    const player = el("video", "media video");
    player.src = fileUrl(video.file_id);
    player.controls = true;
    player.preload = "metadata";
    if (message.animation) Object.assign(player, { autoplay: true, loop: true, muted: true });
    player.addEventListener("loadedmetadata", keepScrolledDown);
    return player;
  }
  if (message.voice) {
    return renderAudio(message.voice, "Voice note", `${message.voice.duration || 0} s`);
  }
  if (message.audio) {
    const audio = message.audio;
    const title = [audio.performer, audio.title].filter(Boolean).join(" – ") ||
      audio.file_name || "Audio";
    return renderAudio(audio, title, `${audio.duration || 0} s`);
  }
  if (message.document) return renderDocument(message.document);
  if (message.sticker) {
    const image = el("img", "media sticker");
    image.src = fileUrl(message.sticker.file_id);
    image.alt = message.sticker.emoji || "Sticker";
    return image;
  }
  return null;
}

function renderAudio(file, title, detail) {
  const box = el("div", "media audio");
  box.append(el("div", "file-title", title), el("div", "file-detail", detail));
  const player = el("audio");
  player.src = fileUrl(file.file_id);
  player.controls = true;
  player.preload = "none";
  box.append(player);
  return box;
}

function renderDocument(document) {
  const box = el("div", "media document");
  const name = document.file_name || "file";
  const icon = el("div", "file-icon", (name.split(".").pop() || "file").slice(0, 4));
  const link = el("a", "file-title", name);
  link.href = fileUrl(document.file_id);
  link.download = name;
  const size = el("div", "file-detail", `${humanSize(document.file_size)} · download`);
  box.append(icon, el("div", "file-info", link, size));
  return box;
}

function renderInvoice(invoice) {
  const box = el("div", "invoice");
  box.append(el("div", "invoice-title", invoice.title));
  box.append(el("div", "invoice-description", invoice.description));
  box.append(el("div", "invoice-price", amount(invoice.total_amount, invoice.currency)));
  return box;
}

function renderKeyboard(message, rows) {
  const keyboard = el("div", "keyboard");
  rows.forEach((buttons, rowIndex) => {
    const row = el("div", "keyboard-row");
    buttons.forEach((button, columnIndex) => {
      const key = `${state.activeId}:${message.message_id}:${rowIndex}:${columnIndex}`;
      const node = el("button", "keyboard-button", button.text);
      node.type = "button";
      node.dataset.row = rowIndex;
      node.dataset.column = columnIndex;
      if (button.url) node.classList.add("link");
      if (button.pay) node.classList.add("pay");
      if (state.pressed.has(key)) node.classList.add("busy");
      node.addEventListener("click", () => press(message, button, rowIndex, columnIndex, key));
      row.append(node);
    });
    keyboard.append(row);
  });
  return keyboard;
}

function keepScrolledDown() {
  const container = $("messages");
  const distance = container.scrollHeight - container.scrollTop - container.clientHeight;
  if (distance < this.clientHeight + 120) container.scrollTop = container.scrollHeight;
}

// --- Telegram formatting ----------------------------------------------------------------
// Entities count UTF-16 code units, as JavaScript strings do, so offsets index text directly.

function renderFormatted(text, entities) {
  const root = { start: 0, end: text.length, entity: null, children: [] };
  const sorted = [...entities].sort((a, b) => a.offset - b.offset || b.length - a.length);
  for (const entity of sorted) {
    insertEntity(root, { start: entity.offset, end: entity.offset + entity.length, entity,
      children: [] });
  }
  return renderNode(text, root, false);
}

// Nest each entity in the one that contains it; one that overlaps its sibling is split.
function insertEntity(parent, node) {
  if (node.start >= node.end) return;
  const last = parent.children[parent.children.length - 1];
  if (last && node.start < last.end) {
    if (node.end <= last.end) return insertEntity(last, node);
    insertEntity(last, { ...node, end: last.end, children: [] });
    return insertEntity(parent, { ...node, start: last.end, children: [] });
  }
  parent.children.push(node);
}

function renderNode(text, node, literal) {
  const parts = [];
  let position = node.start;
  for (const child of node.children) {
    if (child.start > position) parts.push(...plain(text.slice(position, child.start), literal));
    parts.push(renderEntity(text, child, literal));
    position = child.end;
  }
  if (position < node.end) parts.push(...plain(text.slice(position, node.end), literal));
  return parts;
}

function renderEntity(text, node, literal) {
  const entity = node.entity;
  const inner = (noLinks) => renderNode(text, node, literal || noLinks);
  const content = text.slice(node.start, node.end);
  switch (entity.type) {
    case "bold": return el("strong", null, ...inner());
    case "italic": return el("em", null, ...inner());
    case "underline": return el("u", null, ...inner());
    case "strikethrough": return el("s", null, ...inner());
    case "spoiler": {
      const spoiler = el("span", "spoiler", ...inner());
      spoiler.addEventListener("click", () => spoiler.classList.add("revealed"));
      return spoiler;
    }
    case "code": return el("code", null, content);
    case "pre": {
      const code = el("code", null, content);
      if (entity.language) code.dataset.language = entity.language;
      return el("pre", null, code);
    }
    case "blockquote":
    case "expandable_blockquote":
      return el("blockquote", null, ...inner());
    case "text_link": return link(entity.url, inner(true));
    case "url": return link(/^[a-z][a-z0-9+.-]*:/i.test(content) ? content : `https://${content}`,
      [content]);
    case "email": return link(`mailto:${content}`, [content]);
    case "phone_number": return link(`tel:${content}`, [content]);
    case "mention": return link(`https://t.me/${content.slice(1)}`, [content]);
    case "bot_command": return command(content);
    case "hashtag":
    case "cashtag":
      return el("span", "tag", content);
    default: return el("span", null, ...inner());
  }
}

const AUTO_LINK = /(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)'\]]|(?<![\w/])\/[a-zA-Z0-9_]{1,32}\b)/g;

// What Telegram's apps do with text that carries no entities for it: links and /commands.
function plain(text, literal) {
  if (literal) return [text];
  const parts = [];
  let position = 0;
  for (const match of text.matchAll(AUTO_LINK)) {
    if (match.index > position) parts.push(text.slice(position, match.index));
    const found = match[0];
    parts.push(found.startsWith("/") ? command(found) : link(found, [found]));
    position = match.index + found.length;
  }
  if (position < text.length) parts.push(text.slice(position));
  return parts;
}

function link(url, children) {
  const anchor = el("a", null, ...children);
  anchor.href = url;
  anchor.target = "_blank";
  anchor.rel = "noopener";
  anchor.addEventListener("click", (event) => {
    if (openDeepLink(url)) event.preventDefault();
  });
  return anchor;
}

function command(text) {
  const node = el("a", "command", text);
  node.href = "#";
  node.addEventListener("click", (event) => {
    event.preventDefault();
    sendText(text);
  });
  return node;
}

// --- What the user does -------------------------------------------------------------------

async function api(path, options = {}) {
  const response = await fetch(path, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `${response.status} ${response.statusText}`);
  return body;
}

function postJson(path, body) {
  return api(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

// An invoice link (a Stars subscription, say) opens a payment form in Telegram's apps; here the
// server pays it for the test user, as the Pay button of an invoice does.
const INVOICE_LINK = /^https:\/\/t\.me\/\$/;

async function sendText(text) {
  try {
    await postJson(`/api/chats/${state.activeId}/messages`, { text });
  } catch (error) {
    showToast(error.message);
  }
}

async function press(message, button, row, column, key) {
  if (button.url && !INVOICE_LINK.test(button.url)) {
    if (!openDeepLink(button.url)) window.open(button.url, "_blank", "noopener");
    return;
  }
  if (button.copy_text) {
    await navigator.clipboard.writeText(button.copy_text.text);
    showToast("Copied to the clipboard.");
    return;
  }
  if (!("callback_data" in button) && !button.pay && !button.url) {
    showToast("This kind of button does nothing in the playground.");
    return;
  }
  state.pressed.add(key);
  scheduleRender(state.activeId);
  const chatId = state.activeId;
  try {
    const result = await postJson(`/api/chats/${chatId}/press`, {
      message_id: message.message_id, row, column,
    });
    if (result.query_id) {
      state.pending.set(result.query_id, key);
      if (state.answered.has(result.query_id)) settle(result.query_id, chatId);
      else setTimeout(() => settle(result.query_id, chatId), BUSY_MILLISECONDS);
      return; // until the bot answers, the button shows it is busy
    }
    if (result.paid === false) showAlert(result.reason || "The payment did not go through.");
  } catch (error) {
    showToast(error.message);
  }
  state.pressed.delete(key);
  scheduleRender(chatId);
}

function settle(queryId, chatId) {
  const key = state.pending.get(queryId);
  if (!key) return;
  state.pending.delete(queryId);
  state.pressed.delete(key);
  scheduleRender(chatId);
}

// A t.me link into this bot starts it with its parameter, as Telegram's apps do; the page asks
// which test user opens it (an invite link is meant for someone else).
function openDeepLink(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const username = state.bot.username.toLowerCase();
  const isBot = parsed.hostname === "t.me" &&
    parsed.pathname.replace(/^\//, "").toLowerCase() === username;
  if (!isBot) return false;
  const parameter = parsed.searchParams.get("start");
  const text = parameter ? `/start ${parameter}` : "/start";
  const dialog = $("open-link");
  $("open-link-users").replaceChildren(
    ...state.users.map((user) => {
      const choice = el("button", "dialog-button", user.first_name);
      choice.type = "button";
      choice.addEventListener("click", async () => {
        dialog.close();
        switchTo(user.id);
        await sendText(text);
      });
      return choice;
    }),
  );
  dialog.showModal();
  return true;
}

async function sendFile(input) {
  const file = input.files[0];
  if (!file) return;
  $("attach-menu").hidden = true;
  const form = new FormData();
  form.append("file", file);
  form.append("send_as", input.dataset.sendAs);
  const caption = $("text").value.trim();
  if (caption) form.append("caption", caption);
  if (input.dataset.sendAs === "video") {
    const measured = await measureVideo(file);
    for (const [name, value] of Object.entries(measured)) form.append(name, String(value));
  }
  try {
    await api(`/api/chats/${state.activeId}/media`, { method: "POST", body: form });
    $("text").value = "";
  } catch (error) {
    showToast(error.message);
  } finally {
    input.value = "";
  }
}

// Telegram's apps declare a video's duration and size; the page measures them the same way.
function measureVideo(file) {
  return new Promise((resolve) => {
    const probe = document.createElement("video");
    const url = URL.createObjectURL(file);
    const done = (measured) => {
      URL.revokeObjectURL(url);
      resolve(measured);
    };
    probe.preload = "metadata";
    probe.addEventListener("loadedmetadata", () => done({
      duration: Math.round(probe.duration || 0),
      width: probe.videoWidth,
      height: probe.videoHeight,
    }));
    probe.addEventListener("error", () => done({}));
    probe.src = url;
  });
}

// --- The composer and the command menu ----------------------------------------------------

function renderCommands() {
  const list = $("commands");
  const typed = $("text").value;
  const menu = state.menus.get(state.activeId) || [];
  $("menu-button").hidden = menu.length === 0;
  const filter = typed.startsWith("/") && !typed.includes(" ") ? typed.slice(1).toLowerCase() : null;
  const showing = list.dataset.open === "menu" || filter !== null;
  const shown = menu.filter((item) => filter === null || item.command.startsWith(filter));
  list.replaceChildren(
    ...shown.map((item) => {
      const entry = el("button", "command-entry");
      entry.type = "button";
      entry.append(el("span", "command-name", `/${item.command}`),
        el("span", "command-description", item.description));
      entry.addEventListener("click", () => {
        closeCommands();
        $("text").value = "";
        sendText(`/${item.command}`);
      });
      return entry;
    }),
  );
  list.hidden = !showing || shown.length === 0;
}

function closeCommands() {
  delete $("commands").dataset.open;
  $("commands").hidden = true;
}

function setUpComposer() {
  const text = $("text");
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = text.value.trim();
    if (!value) return;
    text.value = "";
    text.style.height = "auto";
    closeCommands();
    sendText(value);
  });
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
    if (event.key === "Escape") closeCommands();
  });
  text.addEventListener("input", () => {
    text.style.height = "auto"; // grow with what is typed, up to the CSS max-height
    text.style.height = `${text.scrollHeight}px`;
    renderCommands();
  });
  document.addEventListener("click", (event) => {
    if (!event.target.closest("#attach-menu, #attach-button")) $("attach-menu").hidden = true;
    if (!event.target.closest("#commands, #menu-button, #text")) closeCommands();
  });
  $("menu-button").addEventListener("click", () => {
    const list = $("commands");
    if (list.dataset.open === "menu") closeCommands();
    else {
      list.dataset.open = "menu";
      renderCommands();
    }
  });
  $("attach-button").addEventListener("click", () => {
    $("attach-menu").hidden = !$("attach-menu").hidden;
  });
  for (const input of document.querySelectorAll("input[type=file]")) {
    input.addEventListener("change", () => sendFile(input));
  }
}

// --- Small helpers -------------------------------------------------------------------------

function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

function initial(name) {
  return (name || "?").trim().charAt(0).toUpperCase();
}

function clock(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function amount(total, currency) {
  return currency === "XTR" ? `⭐️${total}` : `${total} ${currency}`;
}

function humanSize(bytes) {
  if (!bytes) return "0 B";
  const units = ["B", "KB", "MB", "GB"];
  const power = Math.min(Math.floor(Math.log(bytes) / Math.log(1024)), units.length - 1);
  const value = bytes / 1024 ** power;
  return `${value >= 10 || power === 0 ? Math.round(value) : value.toFixed(1)} ${units[power]}`;
}

let toastTimer = null;

function showToast(text) {
  const toast = $("toast");
  toast.textContent = text;
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toast.hidden = true; }, 3500);
}

function showAlert(text) {
  $("alert-text").textContent = text;
  $("alert").showModal();
}

setUpComposer();
connect();
