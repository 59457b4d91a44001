// The comparison server for ppt-bench: a Node.js Socket.IO server (socket.io from npm) doing
// the job ppt-server does in the fan-out benchmark: sockets authenticated with an HS256 JWT,
// one room per building, and 200-byte building-wide events published at a given rate, each
// stamped with its send time in microseconds (same `requestId` shape as ppt-server's).
//
//   node server.js <port> <jwt-secret>
//   POST /publish {"count": N, "perSec": R}   -> {"published": N}
//
// WebSocket transport only (as ppt-web uses), no per-message compression (ppt-server has none).
"use strict";
const http = require("http");
const crypto = require("crypto");
const { Server } = require("socket.io");

const port = Number(process.argv[2] || 0);
const secret = process.argv[3];
if (!secret) {
  console.error("usage: node server.js <port> <jwt-secret>");
  process.exit(2);
}

function b64url(buf) {
  return buf.toString("base64").replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}

// HS256 verification, as ppt-server does it: signature, algorithm and expiry.
function verify(token) {
  const parts = String(token || "").split(".");
  if (parts.length !== 3) return null;
  const header = JSON.parse(Buffer.from(parts[0], "base64url").toString());
  if (header.alg !== "HS256") return null;
  const sig = b64url(crypto.createHmac("sha256", secret).update(parts[0] + "." + parts[1]).digest());
  if (sig.length !== parts[2].length || !crypto.timingSafeEqual(Buffer.from(sig), Buffer.from(parts[2]))) return null;
  const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString());
  if (typeof claims.exp === "number" && claims.exp * 1000 < Date.now()) return null;
  return claims;
}

function nowMicros() {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

let version = 0;
function event() {
  version += 1;
  const payload = { entity: "announcement", id: "bench", version };
  let rid = "bench-" + nowMicros() + "-";
  // Pad to the same frame size as ppt-server's 200-byte events.
  const base = JSON.stringify(["entity:updated", { type: "entity:updated", payload, timestamp: new Date().toISOString(), requestId: rid, id: version }]).length + 2;
  if (base < 200) rid += "x".repeat(200 - base);
  return { type: "entity:updated", payload, timestamp: new Date().toISOString(), requestId: rid, id: version };
}

const server = http.createServer((req, res) => {
  if (req.method === "POST" && req.url === "/publish") {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const { count, perSec } = JSON.parse(body || "{}");
      const start = Date.now();
      let done = 0;
      const tick = () => {
        const due = Math.min(count, Math.floor(((Date.now() - start) / 1000) * perSec) + 1);
        while (done < due) {
          io.to("building:1").emit("entity:updated", event());
          done += 1;
        }
        if (done < count) setTimeout(tick, 1);
        else {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ published: done }));
        }
      };
      tick();
    });
    return;
  }
  if (req.url === "/healthz") {
    res.writeHead(200);
    res.end("ok");
    return;
  }
  res.writeHead(404);
  res.end();
});

const io = new Server(server, {
  transports: ["websocket"],
  perMessageDeflate: false,
  serveClient: false,
  maxHttpBufferSize: 64 * 1024,
});

io.use((socket, next) => {
  const claims = verify(socket.handshake.auth && socket.handshake.auth.token);
  if (!claims) return next(new Error("unauthorized"));
  socket.data.user = claims.sub;
  next();
});

io.on("connection", (socket) => {
  socket.join("building:1");
});

server.listen(port, "127.0.0.1", () => {
  console.log("listening " + server.address().port);
});
