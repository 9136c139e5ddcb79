// The core's dedicated worker (a phone's browser): unwraps the store's key, opens the
// core (core.js, built from app/worker) and answers the UI's messages:
//   {id, command}  -> {id, value} or {id, error}   (a command, as shared::Command)
//   {id, photo}    -> {id, value: hash}            (a photo's bytes to keep)
// A file's bytes come back as a Uint8Array, transferred, not copied.
//
// The store's key: 32 random bytes, kept in IndexedDB only sealed (AES-GCM) under a
// wrapping key that WebCrypto made non-extractable: script can use it here, in this
// origin, but never read it out. ARCHITECTURE.md says what that protects against.
import init, { CoreWorker } from "./core.js";

const DB = "jiazhan";
const KEYS = "keys";

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function keyDatabase() {
  const open = indexedDB.open(DB, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(KEYS);
  return request(open);
}

// The store's key: unsealed from IndexedDB, or made and sealed there on first start
// (both records in one transaction, so there is never one without the other).
async function storeKey() {
  const db = await keyDatabase();
  const read = db.transaction(KEYS, "readonly").objectStore(KEYS);
  const [wrapping, sealed] = await Promise.all([
    request(read.get("wrapping")),
    request(read.get("store")),
  ]);
  if (wrapping && sealed) {
    const key = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: sealed.iv },
      wrapping,
      sealed.data,
    );
    db.close();
    return new Uint8Array(key);
  }
  const fresh = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
    "encrypt",
    "decrypt",
  ]);
  const key = crypto.getRandomValues(new Uint8Array(32));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, fresh, key);
  const tx = db.transaction(KEYS, "readwrite");
  tx.objectStore(KEYS).put(fresh, "wrapping");
  tx.objectStore(KEYS).put({ iv, data }, "store");
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
  db.close();
  return key;
}

// How the server lists this phone among the account's devices.
function deviceName() {
  const ua = self.navigator.userAgent;
  const os = /iPhone|iPad/.test(ua)
    ? "iOS"
    : /Android/.test(ua)
      ? "Android"
      : (self.navigator.platform || "web");
  return `Jiazhan web (${os})`;
}

const core = (async () => {
  await init();
  const origin = self.location.origin;
  return CoreWorker.open(await storeKey(), origin, deviceName());
})();

self.onmessage = async (event) => {
  const { id, command, photo } = event.data;
  try {
    const opened = await core;
    const value = photo !== undefined ? opened.stage_photo(photo) : await opened.call(command);
    const transfer = value instanceof Uint8Array ? [value.buffer] : [];
    self.postMessage({ id, value }, transfer);
  } catch (error) {
    // The core stopped on a bug (a Rust panic traps the wasm): nothing more can run
    // here. The page fails what it waits for and starts a new worker, which opens the
    // store again; every save answered before was committed.
    if (error instanceof WebAssembly.RuntimeError) {
      self.postMessage({ fatal: true, error: { storage: { detail: String(error) } } });
      self.close();
      return;
    }
    // An AppError (a plain object) as it is; anything else as a storage error.
    // (A unit variant, like "NotFound", is a string.)
    const plain =
      error instanceof Error || error === undefined || error === null
        ? { storage: { detail: String(error && error.message ? error.message : error) } }
        : error;
    self.postMessage({ id, error: plain });
  }
};
