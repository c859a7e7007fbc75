// A fast event-loop SSE server for the harness benchmarks (bench chunks, bench ttft-excess): OpenAI chat completions,
// streamed as short chunks written one at a time, as fast as the event loop goes, or paced like a decode.
// It counts the chunks it wrote, and logs, per request, its own time from receiving the request to writing the first
// chunk (the server's own TTFT), keyed by the request's seed, so a client's TTFT can be matched per request.
//   node sse_server.mjs            prints "listening http://127.0.0.1:PORT/" on stdout
//   GET /stats                     {"requests": N, "chunks": N}
//   GET /first-chunk               {"SEED": seconds, ...} since the last call
// Each request's chunk count is its max_tokens (or max_completion_tokens); the delay before the first chunk is
// IPW_FIRST_CHUNK_MS (default 0); with IPW_CHUNK_INTERVAL_MS > 0 (default 0) each later chunk follows the one before
// by that much (a timer per stream, so the event loop stays idle between chunks: a server that is not the bottleneck).
import http from 'node:http';

const firstChunkMs = Number(process.env.IPW_FIRST_CHUNK_MS ?? '0');
const chunkIntervalMs = Number(process.env.IPW_CHUNK_INTERVAL_MS ?? '0');
let requests = 0;
let chunks = 0;
let firstChunk = {};

function chunk(id, created, text, finish) {
  return `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":"ipw-tiny","choices":[{"index":0,"delta":${text === null ? '{}' : `{"content":"${text}"}`},"finish_reason":${finish ? '"length"' : 'null'}}]}\n\n`;
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/v1/models') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"object":"list","data":[{"id":"ipw-tiny","object":"model","owned_by":"bench"}]}');
    return;
  }
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ requests, chunks }));
    return;
  }
  if (req.method === 'GET' && req.url === '/first-chunk') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(firstChunk));
    firstChunk = {};
    return;
  }
  if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"not found"}}');
    return;
  }
  const received = process.hrtime.bigint();
  const body = [];
  req.on('data', (d) => body.push(d));
  req.on('end', () => {
    const request = JSON.parse(Buffer.concat(body).toString('utf8'));
    const n = request.max_completion_tokens ?? request.max_tokens ?? 16;
    const seed = request.seed;
    const id = `chatcmpl-${++requests}`;
    const created = Math.floor(Date.now() / 1000);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let i = 0;
    const write = () => {
      // One chunk per write; yield to the event loop when the socket's buffer is full.
      while (i < n) {
        const ok = res.write(chunk(id, created, 'tok ', false));
        if (i === 0 && seed !== undefined) firstChunk[seed] = Number(process.hrtime.bigint() - received) / 1e9;
        i++;
        chunks++;
        if (!ok) { res.once('drain', write); return; }
        if (chunkIntervalMs > 0 && i < n) { setTimeout(write, chunkIntervalMs); return; }
      }
      res.write(chunk(id, created, null, true));
      const usage = `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":"ipw-tiny","choices":[],"usage":{"prompt_tokens":8,"completion_tokens":${n},"total_tokens":${n + 8}}}\n\n`;
      res.end(usage + 'data: [DONE]\n\n');
    };
    if (firstChunkMs > 0) setTimeout(write, firstChunkMs); else write();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${server.address().port}/`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
