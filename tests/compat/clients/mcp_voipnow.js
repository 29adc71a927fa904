// The token request of 4psa/mcp-voipnow's TypeScript servers, in Node: https.request with a
// form body (URLSearchParams), type=unifiedapi and a redirect_uri on the misspelt path
// /ouath/token.php (a value the client sends, never a URL it requests), then expires_in
// read to compute when the token runs out. Written for this suite from what that client is
// documented and observed to send; no client code is copied.
//
//   node mcp_voipnow.js
//
// Environment: PORTAL_URL (https://127.0.0.1:PORT), APP_KEY, APP_SECRET, ME_PATH
// (/uapi/@me by default), NODE_EXTRA_CA_CERTS (the CA the portal's certificate comes from).
// Prints one JSON object: what was sent and what came back.
"use strict";

const https = require("https");

function request(method, url, headers, body) {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = https.request(
      {
        hostname: target.hostname,
        port: target.port || 443,
        path: target.pathname + target.search,
        method,
        headers,
      },
      (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (data += chunk));
        res.on("end", () => {
          let json = null;
          try {
            json = JSON.parse(data);
          } catch (error) {
            // Not JSON: the test shows the raw answer.
          }
          resolve({ status: res.statusCode, content_type: res.headers["content-type"] || "", raw: data, json });
        });
      },
    );
    req.setTimeout(30000, () => req.destroy(new Error("timeout after 30 s")));
    req.on("error", reject);
    if (body) req.write(body);
    req.end();
  });
}

async function main() {
  const base = process.env.PORTAL_URL;
  const params = new URLSearchParams();
  params.append("client_id", process.env.APP_KEY);
  params.append("client_secret", process.env.APP_SECRET);
  params.append("grant_type", "client_credentials");
  params.append("type", "unifiedapi");
  params.append("redirect_uri", `${base}/ouath/token.php`);
  const body = params.toString();

  const result = { node: process.version, sent: body.replace(/client_secret=[^&]*/, "client_secret=...") };
  const token = await request(
    "POST",
    `${base}/oauth/token.php`,
    {
      "Content-Type": "application/x-www-form-urlencoded",
      "User-Agent": "VoipNow Calls MCP (compatibility suite)",
      "Content-Length": Buffer.byteLength(body),
    },
    body,
  );
  result.token = token;
  if (token.status >= 400 || !token.json) {
    console.log(JSON.stringify(result));
    return;
  }
  // The client keeps "created:expires:token", expires from expires_in in milliseconds.
  const now = Date.now();
  result.expires_at_ms = now + token.json.expires_in * 1000;
  result.lifetime_ms = result.expires_at_ms - now;
  result.token_shape_ok = /^[A-Za-z0-9_\-.]+$/.test(token.json.access_token);
  result.me = await request("GET", `${base}${process.env.ME_PATH || "/uapi/@me"}`, {
    Authorization: `Bearer ${token.json.access_token}`,
  });
  console.log(JSON.stringify(result));
}

main().catch((error) => {
  console.log(JSON.stringify({ error: String(error && error.stack ? error.stack : error) }));
  process.exitCode = 1;
});
