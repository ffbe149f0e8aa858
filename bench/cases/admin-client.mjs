// The admin page's traffic for benchmark 30, in its own process as a browser would be: one event
// stream open on /api/events (reopened when it ends) and GET /api/loops polled `hz` times a second
// (keep-alive). Prints "ready" each time a stream delivers its first event; on SIGTERM prints what it
// did as one JSON line and exits. Usage: node admin-client.mjs <base-url> <hz>
import http from 'node:http';

const [base, hzText] = process.argv.slice(2);
const hz = Number(hzText ?? 20);
const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
let events = 0;
let polls = 0;
let failures = 0;
let stream;

function connect() {
  let first = true;
  stream = http.get(new URL('api/events', base), { headers: { Accept: 'text/event-stream' } }, (res) => {
    if (res.statusCode !== 200) {
      res.resume();
      setTimeout(connect, 20);
      return;
    }
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      events += (chunk.match(/^event: /gm) ?? []).length;
      if (first) {
        first = false;
        process.stdout.write('ready\n');
      }
    });
    res.on('end', () => setTimeout(connect, 20));
    res.on('error', () => undefined);
  });
  stream.on('error', () => setTimeout(connect, 20));
}
connect();

const timer = setInterval(() => {
  const req = http.get(new URL('api/loops', base), { agent }, (res) => {
    res.resume();
    res.on('end', () => {
      if (res.statusCode === 200) polls += 1;
      else failures += 1;
    });
  });
  req.on('error', () => (failures += 1));
}, 1000 / hz);

process.on('SIGTERM', () => {
  clearInterval(timer);
  stream?.destroy();
  process.stdout.write(`${JSON.stringify({ events, polls, failures })}\n`, () => process.exit(0));
});
