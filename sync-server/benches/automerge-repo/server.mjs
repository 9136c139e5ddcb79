// The automerge-repo sync server of the comparison benchmark (sync-server/benches/compare.rs),
// built as automerge-repo's own sync server is (automerge-repo-sync-server): a Repo with
// NodeFS storage and the WebSocket server adapter, announcing nothing (sharePolicy false)
// and answering every document a client asks about.
//
//   node server.mjs --dir DIR [--port N] [--seed BUNDLE [--seed-only]]
//
// --seed imports the documents of a bundle (JSON: {"docs": [{"id", "bytes"}]}, bytes in
// base64; ids mapped to automerge-repo document ids as in client.mjs) and writes them to
// storage before the server listens: the state a server would have after devices pushed
// them. With --seed-only it exits then (a server started on DIR afterwards finds them on
// disk, as after a restart). Prints one JSON line when listening (or seeded):
// {"ready": true, "pid", "port", "docs"}. Everything else goes to stderr.

import { readFileSync } from "node:fs"
import { Repo } from "@automerge/automerge-repo"
import { WebSocketServerAdapter } from "@automerge/automerge-repo-network-websocket"
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs"
import { WebSocketServer } from "ws"
import { documentId } from "./ids.mjs"

// automerge-repo logs with console.log; stdout is for the ready line.
console.log = console.error

function arg(name, fallback) {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : fallback
}

const dir = arg("--dir")
if (!dir) {
  console.error("usage: node server.mjs --dir DIR [--port N] [--seed BUNDLE]")
  process.exit(2)
}
const port = Number(arg("--port", "0"))
const seed = arg("--seed")

const repo = new Repo({
  storage: new NodeFSStorageAdapter(dir),
  peerId: "sync-server",
  sharePolicy: async () => false,
})

let docs = 0
if (seed) {
  const bundle = JSON.parse(readFileSync(seed, "utf8"))
  const ids = []
  for (const { id, bytes } of bundle.docs) {
    const handle = repo.import(Buffer.from(bytes, "base64"), { docId: documentId(id) })
    ids.push(handle.documentId)
  }
  await repo.flush(ids)
  docs = ids.length
  if (process.argv.includes("--seed-only")) {
    process.stdout.write(JSON.stringify({ ready: true, pid: process.pid, port: 0, docs }) + "\n")
    process.exit(0)
  }
}

const wss = new WebSocketServer({ host: "127.0.0.1", port })
await new Promise((resolve, reject) => {
  wss.once("listening", resolve)
  wss.once("error", reject)
})
repo.networkSubsystem.addNetworkAdapter(new WebSocketServerAdapter(wss))
process.stdout.write(
  JSON.stringify({ ready: true, pid: process.pid, port: wss.address().port, docs }) + "\n",
)

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    wss.close()
    process.exit(0)
  })
}
