// Sends events with the real @sentry/node (CopiedRouteIntegrationTests): node send-events.cjs DSN COUNT INTERVAL_MS LABEL
// One line per event when it is captured: "captured <event id> <epoch ms>", and when the SDK's transport got
// the edge's answer to it: "answered <event id> <HTTP status>"; at the end "closed <true|false>".
const Sentry = require("@sentry/node");

const [dsn, count, intervalMs, label] = process.argv.slice(2);
Sentry.init({
  dsn,
  defaultIntegrations: false,
  sendClientReports: false,
  // the transport's default buffer (64 requests in flight) drops events beyond it: the edge is not the limit here
  transportOptions: { bufferSize: 10000 },
});
Sentry.getClient().on("afterSendEvent", (event, response) => {
  console.log(`answered ${event.event_id} ${response && response.statusCode}`);
});

(async () => {
  const n = Number(count);
  const interval = Number(intervalMs);
  const start = Date.now();
  for (let i = 0; i < n; i++) {
    const due = start + i * interval;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    const t = Date.now();
    const id = Sentry.captureMessage(`copied route ${label} node message ${i}`);
    console.log(`captured ${id} ${t}`);
  }
  const ok = await Sentry.close(30000);
  console.log(`closed ${ok}`);
})();
