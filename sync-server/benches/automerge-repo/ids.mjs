// Jiazhan document ids (`station/<station>/<YYYY-MM>`, …) as automerge-repo document ids:
// the first 16 bytes of SHA-256 of the id, base58check-encoded as automerge-repo writes
// its own. The same id on every peer, so devices and server agree without a directory.

import { createHash } from "node:crypto"
import { parseAutomergeUrl, stringifyAutomergeUrl } from "@automerge/automerge-repo"

export function documentId(jiazhanId) {
  const digest = createHash("sha256").update(`jiazhan:${jiazhanId}`).digest()
  const binary = new Uint8Array(digest.subarray(0, 16))
  return parseAutomergeUrl(stringifyAutomergeUrl(binary)).documentId
}
