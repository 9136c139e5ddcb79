// An automerge-repo device of the comparison benchmark (sync-server/benches/compare.rs),
// driven by JSON commands, one a line on stdin; one JSON answer a line on stdout (logs go
// to stderr).
//
//   node client.mjs [--dir DIR]      a device with NodeFS storage in DIR (in memory without)
//
// Commands ({"op": …}):
//   load {bundle}            documents of a bundle (JSON {"docs": [{"id", "bytes"}]}, base64)
//                            merged into this device's documents (new ones imported),
//                            then written to storage
//   connect {url}            connect (or reconnect) to the server; answers once it is a peer
//   disconnect               close the connection
//   mark                     zero the counters and start the clock
//   sync {timeout_ms, touched?, find?, batch?, quiet_ms?}
//                            wait until every document held is in sync with the server,
//                            those loaded since `mark` (with `touched`) and every id of
//                            the bundle `find` (fetched from the server: all at once, or
//                            `batch` at a time) after a message from the server about
//                            them, and the connection has then been quiet for quiet_ms
//                            (default 1000); answers the time since `mark` until the last
//                            message (or until in sync, if later), and the messages and
//                            bytes each way
//   count                    documents held and `activity:` records in them
//   leave {bundle}           import the bundle's (new) documents, which starts their
//                            first sync, and disconnect once its first message is out
//   swarm_connect {n, url, bundle}
//                            n more devices (in memory), connected at once; answers once
//                            they are connected and the connections quiet
//   swarm_go {timeout_ms}    each of them imports its own document of the bundle at the
//                            same moment (counters zeroed); answers when all are in sync
//   exit
//
// "In sync" for a document: automerge-repo's record of the server's heads for it
// (`handle.getSyncInfo(storageId of the server)`, kept across reconnections) is the
// document's heads; for the documents a sync waits for news of (`touched`, `find`), also
// after a message from the server about them since `mark`. The server says nothing about
// a document it already knows the device has (Automerge's sync protocol stays quiet when
// both sides' heads agree and it has answered before), so for the others the sync ends
// when the connection goes quiet. (The sync state's `theirHeads` does not do: every
// (re)connection round-trips the sync state through encodeSyncState, which keeps only
// the shared heads, so after one the server's heads stay unknown until it speaks again,
// and for an unchanged document it does not.) A dropped connection is reopened after
// 5 s (the adapter's default); `disconnect` closes it for good.
// Messages and bytes are counted at the WebSocket: every message sent and received.

import { readFileSync } from "node:fs"
import { createInterface } from "node:readline"
import * as A from "@automerge/automerge"
import { Repo } from "@automerge/automerge-repo"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs"
import { documentId } from "./ids.mjs"

const SERVER = "sync-server"

// automerge-repo logs with console.log; stdout is for answers.
console.log = console.error

/** Messages and bytes each way, and when the last one passed. */
class Counters {
  constructor() {
    this.reset()
  }
  reset() {
    this.upMessages = 0
    this.downMessages = 0
    this.upBytes = 0
    this.downBytes = 0
    this.sockets = 0
    this.last = performance.now()
  }
  json() {
    return {
      up_messages: this.upMessages,
      down_messages: this.downMessages,
      up_bytes: this.upBytes,
      down_bytes: this.downBytes,
      sockets: this.sockets,
    }
  }
}

/** automerge-repo's WebSocket client adapter, counting what passes its socket. */
class CountingAdapter extends WebSocketClientAdapter {
  constructor(url, counters) {
    // Reconnects after 5 s when the connection drops, as by default.
    super(url)
    this.counters = counters
  }

  connect(peerId, peerMetadata) {
    super.connect(peerId, peerMetadata)
    const socket = this.socket
    this.counters.sockets += 1
    socket.addEventListener("close", event => {
      if (this.socket === socket) console.error(`connection closed (${event.code})`)
    })
    const send = socket.send.bind(socket)
    socket.send = (data, ...rest) => {
      this.counters.upMessages += 1
      this.counters.upBytes += data.byteLength
      this.counters.last = performance.now()
      return send(data, ...rest)
    }
  }

  receiveMessage(bytes) {
    this.counters.downMessages += 1
    this.counters.downBytes += bytes.byteLength
    this.counters.last = performance.now()
    super.receiveMessage(bytes)
  }
}

function readBundle(path) {
  return JSON.parse(readFileSync(path, "utf8")).docs
}

function sameHeads(a, b) {
  if (a.length !== b.length) return false
  const s = new Set(a)
  return b.every(h => s.has(h))
}

/** One device: a Repo, its connection to the server, and what it knows of the sync. */
class Device {
  constructor(dir, counters) {
    this.counters = counters
    this.repo = new Repo({
      storage: dir ? new NodeFSStorageAdapter(dir) : undefined,
    })
    this.adapter = undefined
    // Documents the server sent a message about since `mark`, and those loaded since.
    this.heard = new Set()
    this.touched = new Set()
    this.onDocument = () => {}
    this.repo.networkSubsystem.on("message", message => {
      if (message.senderId === SERVER && message.documentId) {
        this.heard.add(message.documentId)
        this.poke(message.documentId)
      }
    })
    // Only a prompt to look again: the Repo records the server's heads on this event.
    this.repo.synchronizer.on("sync-state", ({ peerId, documentId }) => {
      if (peerId === SERVER) this.poke(documentId)
    })
  }

  // Checked once the update that raised the event has finished (the sync state is set
  // before the document it belongs to is).
  poke(id) {
    setImmediate(() => this.onDocument(id))
  }

  mark() {
    this.heard.clear()
    this.touched.clear()
  }

  load(docs) {
    const ids = []
    for (const { id, bytes } of docs) {
      const docId = documentId(id)
      const binary = Buffer.from(bytes, "base64")
      const held = this.repo.handles[docId]
      if (held && held.isReady()) {
        held.update(doc => A.loadIncremental(doc, binary))
      } else {
        this.repo.import(binary, { docId })
      }
      ids.push(docId)
      this.touched.add(docId)
    }
    return ids
  }

  async connect(url) {
    const peer = new Promise(resolve => {
      const listener = ({ peerId }) => {
        if (peerId === SERVER) {
          this.repo.networkSubsystem.off("peer", listener)
          resolve()
        }
      }
      this.repo.networkSubsystem.on("peer", listener)
    })
    if (this.adapter && this.adapter.url !== url) {
      this.repo.networkSubsystem.removeNetworkAdapter(this.adapter)
      this.adapter = undefined
    }
    if (!this.adapter) {
      this.adapter = new CountingAdapter(url, this.counters)
      this.repo.networkSubsystem.addNetworkAdapter(this.adapter)
    } else {
      this.adapter.connect(this.repo.networkSubsystem.peerId, this.adapter.peerMetadata)
    }
    await peer
  }

  async disconnect() {
    const socket = this.adapter?.socket
    if (!socket) return
    const closed = new Promise(resolve => {
      socket.addEventListener("close", resolve)
      setTimeout(resolve, 2000)
    })
    this.adapter.disconnect()
    await closed
  }

  /** The server's heads for the document as automerge-repo last heard them are its heads
   * (and, with `news`, the server sent a message about it since `mark`). */
  inSync(docId, news = true) {
    const handle = this.repo.handles[docId]
    if (!handle || !handle.isReady()) return false
    if (news && !this.heard.has(docId)) return false
    const storageId = this.repo.getStorageIdOfPeer(SERVER)
    const theirs = storageId && handle.getSyncInfo(storageId)?.lastHeads
    return !!theirs && sameHeads(theirs, handle.heads())
  }

  /** Resolves with the documents still not in sync at `deadline` (none: all are); those
   * of `news` after a message from the server about them. */
  waitInSync(ids, deadline, news = new Set(ids)) {
    const pending = new Set(ids)
    return new Promise(resolve => {
      let sweep
      const finish = () => {
        clearInterval(sweep)
        this.onDocument = () => {}
        resolve(pending)
      }
      const check = id => {
        if (pending.has(id) && this.inSync(id, news.has(id))) {
          pending.delete(id)
          if (pending.size === 0) finish()
        }
      }
      this.onDocument = check
      // Events do the work; this only catches what no event announced.
      sweep = setInterval(() => {
        for (const id of pending) check(id)
        if (pending.size > 0 && performance.now() > deadline) finish()
      }, 500)
      for (const id of [...pending]) check(id)
      if (pending.size === 0) finish()
    })
  }

  unavailable() {
    return Object.values(this.repo.handles).filter(h => h.state === "unavailable").length
  }

  /** The documents held, ready. */
  ready() {
    return Object.values(this.repo.handles)
      .filter(h => h.isReady())
      .map(h => h.documentId)
  }
}

/** Waits until no message has passed for `quietMs` (at most `maxMs`); whether it was. */
async function quiet(counters, quietMs, maxMs = 5000) {
  const until = performance.now() + maxMs
  for (;;) {
    const idle = performance.now() - counters.last
    if (idle >= quietMs) return true
    if (performance.now() >= until) return false
    await new Promise(r => setTimeout(r, quietMs - idle + 1))
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]
}

const dirIndex = process.argv.indexOf("--dir")
const counters = new Counters()
const device = new Device(dirIndex >= 0 ? process.argv[dirIndex + 1] : undefined, counters)
let started = performance.now()
let swarm = []
let swarmDocs = []

async function handle(command) {
  switch (command.op) {
    case "load": {
      const t = performance.now()
      const ids = device.load(readBundle(command.bundle))
      await device.repo.flush(ids)
      return { docs: ids.length, ms: performance.now() - t }
    }
    case "connect": {
      const t = performance.now()
      await device.connect(command.url)
      return { ms: performance.now() - t }
    }
    case "disconnect":
      await device.disconnect()
      return {}
    case "mark":
      counters.reset()
      device.mark()
      started = performance.now()
      return {}
    case "sync": {
      const deadline = started + command.timeout_ms
      const wanted = command.find
        ? readBundle(command.find).map(({ id }) => documentId(id))
        : []
      // What to wait for news of from the server: what changed here since `mark`, and
      // what is fetched or changed elsewhere.
      const news = new Set([...(command.touched ? device.touched : []), ...wanted])
      // Documents to fetch: all at once, or `batch` at a time (each batch in sync
      // before the next is asked for).
      const batch = command.batch ?? wanted.length
      let pending = new Set()
      for (let i = 0; i < wanted.length && pending.size === 0; i += batch) {
        const some = wanted.slice(i, i + batch)
        for (const docId of some) {
          if (!device.repo.handles[docId]) device.repo.find(docId).catch(() => {})
        }
        if (batch < wanted.length) pending = await device.waitInSync(some, deadline)
      }
      const all = command.touched ? [...news] : [...new Set([...device.ready(), ...news])]
      if (pending.size === 0) pending = await device.waitInSync(all, deadline, news)
      const inSyncMs = performance.now() - started
      // Then until the connection is quiet: what the server still says (about documents
      // it had no news of, too) is part of the sync.
      const quietMs = command.quiet_ms ?? 1000
      const wasQuiet =
        pending.size === 0 && (await quiet(counters, quietMs, deadline - performance.now()))
      if (!wasQuiet) {
        return {
          timed_out: true,
          ms: performance.now() - started,
          in_sync: all.filter(id => device.inSync(id, news.has(id))).length,
          ready: all.filter(id => device.repo.handles[id]?.isReady()).length,
          of: all.length,
          quiet: pending.size === 0 ? "no" : undefined,
          ...counters.json(),
        }
      }
      return {
        // Until the last message of the sync (or until in sync, if that came later).
        ms: Math.max(inSyncMs, counters.last - started),
        in_sync_ms: inSyncMs,
        docs: all.length,
        unavailable: device.unavailable(),
        ...counters.json(),
      }
    }
    case "count": {
      let activities = 0
      let docs = 0
      for (const handle of Object.values(device.repo.handles)) {
        if (!handle.isReady()) continue
        docs += 1
        activities += Object.keys(handle.doc()).filter(k => k.startsWith("activity:")).length
      }
      return { docs, activities }
    }
    case "leave": {
      // Starts the first sync of new documents and leaves as soon as the first message
      // about them is out (before their changes are).
      const sent = counters.upMessages
      device.load(readBundle(command.bundle))
      const until = performance.now() + 5000
      while (counters.upMessages === sent && performance.now() < until) {
        await new Promise(r => setImmediate(r))
      }
      device.adapter?.disconnect()
      return { sent: counters.upMessages - sent }
    }
    case "swarm_connect": {
      swarmDocs = readBundle(command.bundle).slice(0, command.n)
      swarm = swarmDocs.map(() => new Device(undefined, counters))
      const t = performance.now()
      await Promise.all(swarm.map(d => d.connect(command.url)))
      const connectMs = performance.now() - t
      await quiet(counters, 300)
      return { ms: connectMs, clients: swarm.length }
    }
    case "swarm_go": {
      counters.reset()
      started = performance.now()
      const deadline = started + command.timeout_ms
      const times = []
      await Promise.all(
        swarm.map(async (d, i) => {
          d.mark()
          const ids = d.load([swarmDocs[i]])
          const pending = await d.waitInSync(ids, deadline)
          if (pending.size === 0) times.push(performance.now() - started)
        }),
      )
      const ms = performance.now() - started
      await quiet(counters, 300)
      times.sort((a, b) => a - b)
      return {
        ms,
        clients: swarm.length,
        in_sync: times.length,
        timed_out: times.length < swarm.length,
        p50_ms: percentile(times, 50),
        p99_ms: percentile(times, 99),
        ...counters.json(),
      }
    }
    case "exit":
      await Promise.all([device, ...swarm].map(d => d.disconnect()))
      await device.repo.flush()
      process.exit(0)
    default:
      throw new Error(`unknown op ${command.op}`)
  }
}

const lines = createInterface({ input: process.stdin })
let queue = Promise.resolve()
lines.on("line", line => {
  if (!line.trim()) return
  queue = queue.then(async () => {
    let answer
    try {
      answer = { ok: true, ...(await handle(JSON.parse(line))) }
    } catch (e) {
      answer = { ok: false, error: String(e?.stack ?? e) }
    }
    process.stdout.write(JSON.stringify(answer) + "\n")
  })
})
lines.on("close", () => {
  queue.then(() => process.exit(0))
})
