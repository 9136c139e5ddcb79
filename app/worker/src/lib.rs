//! The core in a phone's browser. `worker.js` (a dedicated worker) unwraps the store's
//! key and opens a [`Core`] here; each message from the UI is a [`shared::Command`]
//! answered by the same [`Core::call`] the desktop shell uses. The store lives in the
//! origin-private file system through SQLite's "sync access handle pool" VFS, which only
//! a dedicated worker may use, encrypted by SQLite3 Multiple Ciphers.
#![cfg(target_family = "wasm")]

use std::path::Path;
use std::rc::Rc;

use serde::Serialize as _;
use shared::dispatch::{Answer, Core};
use shared::{AppError, Store, StoreKey, SyncClient};
use sqlite_wasm_vfs::sahpool::{OpfsSAHPoolCfg, install};
use wasm_bindgen::prelude::*;

/// The store's file in the pool (a name in SQLite's namespace, not an OPFS path).
const STORE_FILE: &str = "/jiazhan.db";

fn js_error(e: AppError) -> JsValue {
    serde_wasm_bindgen::to_value(&e).unwrap_or_else(|e| JsValue::from_str(&e.to_string()))
}

fn storage(detail: impl ToString) -> JsValue {
    js_error(AppError::Storage {
        detail: detail.to_string(),
    })
}

/// Makes the encrypting VFS of SQLite3 Multiple Ciphers over `vfs` (the OPFS pool) the
/// default, so that every file the store opens goes through the cipher. (Over the pool
/// alone, keying a connection fails: "Encryption is not supported by the VFS".) Idempotent.
#[allow(unsafe_code)]
fn encrypting_default_vfs(vfs: &str) -> Result<(), JsValue> {
    let name = std::ffi::CString::new(vfs).map_err(storage)?;
    // SAFETY: `name` is a valid C string for the call; SQLite copies what it keeps. The
    // worker has one thread and SQLite is built without threads, so nothing else touches
    // the VFS list meanwhile.
    let rc = unsafe { sqlite_wasm_rs::sqlite3mc_vfs_create(name.as_ptr(), 1) };
    if rc == sqlite_wasm_rs::SQLITE_OK {
        Ok(())
    } else {
        Err(storage(format!(
            "the encrypting VFS over {vfs}: SQLite error {rc}"
        )))
    }
}

/// The core, opened.
#[wasm_bindgen]
pub struct CoreWorker {
    core: Rc<Core>,
}

#[wasm_bindgen]
impl CoreWorker {
    /// Opens (creating on first use) the store in the origin's private file system,
    /// encrypted with the 32 bytes of `key`; `server_url` is what the sign-in form offers
    /// (the server the app was loaded from), `device_name` how the server will list this
    /// phone. A wrong key is refused ([`AppError::Storage`] naming it) and changes nothing.
    pub async fn open(
        key: Vec<u8>,
        server_url: String,
        device_name: String,
    ) -> Result<CoreWorker, JsValue> {
        console_error_panic_hook::set_once();
        let key: [u8; 32] = key
            .try_into()
            .map_err(|_| storage("a store key is 32 bytes"))?;
        let pool = OpfsSAHPoolCfg {
            vfs_name: "opfs-sahpool".into(),
            directory: ".jiazhan".into(),
            clear_on_init: false,
            initial_capacity: 6,
        };
        install::<sqlite_wasm_rs::WasmOsCallback>(&pool, false)
            .await
            .map_err(storage)?;
        encrypting_default_vfs(&pool.vfs_name)?;
        let store = Store::open(Path::new(STORE_FILE), &StoreKey::from_bytes(key))
            .map_err(|e| js_error(AppError::from(&e)))?;
        let sync = SyncClient::new(false).map_err(|e| js_error(AppError::from(&e)))?;
        Ok(CoreWorker {
            core: Rc::new(Core::new(store, sync, &server_url, &device_name)),
        })
    }

    /// Answers one command (`{command, args}` as the UI sends it): a value, or a file's
    /// bytes as a `Uint8Array`; a refusal is thrown as the [`AppError`].
    pub async fn call(&self, command: JsValue) -> Result<JsValue, JsValue> {
        let command = serde_wasm_bindgen::from_value(command).map_err(storage)?;
        let core = Rc::clone(&self.core);
        match core.call(command).await.map_err(js_error)? {
            Answer::Value(v) => v
                .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
                .map_err(storage),
            Answer::Bytes(b) => Ok(js_sys::Uint8Array::from(b.as_slice()).into()),
        }
    }

    /// Keeps a photo just chosen; its hash.
    pub fn stage_photo(&self, photo: &[u8]) -> Result<String, JsValue> {
        self.core.stage_photo(photo).map_err(js_error)
    }
}
