using System.Globalization;
using System.Text;
using System.Text.Json;
using PacketDotNet;
using SharpPcap;
using SharpPcap.LibPcap;

/// <summary>
/// Per request, what a loopback capture (tcpdump, one server port) saw of an OpenAI-style streamed exchange: when the
/// first byte of its first send left the client, when the last byte of the first event carrying a token arrived, and
/// when the last byte of <c>[DONE]</c> arrived. Requests are told apart by the <c>seed</c> in their body; a request
/// sent twice (a stale connection, then a new one) is timed from its first send, as ipw times it. The capture is read
/// with SharpPcap and dissected with PacketDotNet; HTTP/1.1 framing (Content-Length, chunked) and SSE are read here.
/// </summary>
internal static class WireCapture
{
    /// <summary>Seconds on the capture's clock, per seed: first send, first token, end of [DONE] (null: not seen).</summary>
    public sealed record Exchange(double Sent, double? FirstToken, double? Done);

    public static Dictionary<long, Exchange> Read(string pcap, int serverPort)
    {
        var flows = new Dictionary<int, (Direction Up, Direction Down)>();
        using (var device = new CaptureFileReaderDevice(pcap))
        {
            device.Open();
            while (device.GetNextPacket(out var capture) == GetPacketStatus.PacketRead)
            {
                var raw = capture.GetPacket();
                if (Packet.ParsePacket(raw.LinkLayerType, raw.Data).Extract<TcpPacket>() is not { } tcp) continue;
                var t = (double)raw.Timeval.Seconds + raw.Timeval.MicroSeconds / 1e6;
                var up = tcp.DestinationPort == serverPort;
                var clientPort = up ? tcp.SourcePort : tcp.DestinationPort;
                if (!flows.TryGetValue(clientPort, out var flow)) flows[clientPort] = flow = (new Direction(), new Direction());
                (up ? flow.Up : flow.Down).Add(tcp.SequenceNumber, tcp.PayloadData ?? [], tcp.Synchronize, t);
            }
        }
        var bySeed = new Dictionary<long, Exchange>();
        foreach (var (up, down) in flows.Values)
        {
            var requests = Requests(up).ToList();
            var responses = Responses(down).ToList();
            for (var i = 0; i < requests.Count; i++)
            {
                var (seed, sent) = requests[i];
                var response = i < responses.Count ? responses[i] : default;
                bySeed[seed] = bySeed.TryGetValue(seed, out var seen)
                    ? new Exchange(Math.Min(seen.Sent, sent), response.FirstToken ?? seen.FirstToken, response.Done ?? seen.Done)
                    : new Exchange(sent, response.FirstToken, response.Done);
            }
        }
        return bySeed;
    }

    /// <summary>One direction of a TCP connection: its bytes in order, and when each segment's bytes arrived.</summary>
    private sealed class Direction
    {
        private readonly MemoryStream _bytes = new();
        private readonly List<(long End, double T)> _segments = [];
        private uint? _next;
        private static readonly Comparer<(long End, double T)> ByEnd = Comparer<(long End, double T)>.Create((a, b) => a.End.CompareTo(b.End));

        public byte[] Bytes => _bytes.ToArray();

        public void Add(uint seq, byte[] payload, bool syn, double t)
        {
            if (syn) { _next = seq + 1; return; }
            if (payload.Length == 0) return;
            _next ??= seq;
            if (seq != _next) return; // a retransmission (none expected on loopback)
            _bytes.Write(payload);
            _segments.Add((_bytes.Length, t));
            _next = seq + (uint)payload.Length;
        }

        /// <summary>When the byte at <paramref name="offset"/> arrived.</summary>
        public double TimeOf(long offset)
        {
            var i = _segments.BinarySearch((offset + 1, 0), ByEnd);
            return _segments[i >= 0 ? i : ~i].T;
        }
    }

    private static IEnumerable<(long Seed, double Sent)> Requests(Direction up)
    {
        var bytes = up.Bytes;
        var at = 0;
        while (HeaderEnd(bytes, at) is { } end)
        {
            var head = Encoding.ASCII.GetString(bytes, at, end - at);
            var length = Header(head, "content-length") is { } l ? int.Parse(l, CultureInfo.InvariantCulture) : 0;
            if (end + length > bytes.Length) yield break;
            if (head.StartsWith("POST ", StringComparison.Ordinal))
            {
                using var body = JsonDocument.Parse(bytes.AsMemory(end, length));
                if (body.RootElement.TryGetProperty("seed", out var seed)) yield return (seed.GetInt64(), up.TimeOf(at));
            }
            at = end + length;
        }
    }

    private static IEnumerable<(double? FirstToken, double? Done)> Responses(Direction down)
    {
        var bytes = down.Bytes;
        var at = 0;
        while (HeaderEnd(bytes, at) is { } end)
        {
            var head = Encoding.ASCII.GetString(bytes, at, end - at);
            // The body, each of its bytes with its offset in the connection's stream (chunked framing taken out).
            var body = new List<(byte B, long Offset)>();
            if (Header(head, "transfer-encoding") is { } te && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                var p = end;
                while (true)
                {
                    var line = IndexOf(bytes, "\r\n"u8, p);
                    if (line < 0) yield break;
                    var size = int.Parse(Encoding.ASCII.GetString(bytes, p, line - p).Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    p = line + 2;
                    if (size == 0) { p += 2; break; }
                    for (var k = 0; k < size && p + k < bytes.Length; k++) body.Add((bytes[p + k], p + k));
                    p += size + 2;
                }
                at = p;
            }
            else
            {
                var length = Header(head, "content-length") is { } l ? int.Parse(l, CultureInfo.InvariantCulture) : 0;
                for (var k = 0; k < length && end + k < bytes.Length; k++) body.Add((bytes[end + k], end + k));
                at = end + length;
            }
            yield return Events(body, down);
        }
    }

    /// <summary>The first token-carrying SSE event's and [DONE]'s last byte times.</summary>
    private static (double? FirstToken, double? Done) Events(List<(byte B, long Offset)> body, Direction down)
    {
        double? first = null, done = null;
        // Latin-1: one character per byte, so an index in the text is an index in the body (the JSON's structure is ASCII).
        var text = Encoding.Latin1.GetString([.. body.Select(x => x.B)]);
        var start = 0;
        while (start < text.Length)
        {
            var end = text.IndexOf("\n\n", start, StringComparison.Ordinal);
            if (end < 0) break;
            var evt = text[start..end];
            var last = body[end + 1].Offset;
            if (evt.StartsWith("data: [DONE]", StringComparison.Ordinal)) done = down.TimeOf(last);
            else if (first is null && evt.StartsWith("data: ", StringComparison.Ordinal) && CarriesToken(evt[6..])) first = down.TimeOf(last);
            start = end + 2;
        }
        return (first, done);
    }

    private static bool CarriesToken(string json)
    {
        using var doc = JsonDocument.Parse(json);
        if (!doc.RootElement.TryGetProperty("choices", out var choices) || choices.GetArrayLength() == 0) return false;
        var c = choices[0];
        if (c.TryGetProperty("text", out var t) && t.GetString() is { Length: > 0 }) return true;
        if (!c.TryGetProperty("delta", out var d)) return false;
        return (d.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String && content.GetString()!.Length > 0)
            || (d.TryGetProperty("reasoning_content", out var r) && r.ValueKind == JsonValueKind.String && r.GetString()!.Length > 0)
            || d.TryGetProperty("tool_calls", out _);
    }

    private static int? HeaderEnd(byte[] bytes, int from)
    {
        var i = IndexOf(bytes, "\r\n\r\n"u8, from);
        return i < 0 ? null : i + 4;
    }

    private static string? Header(string head, string name)
    {
        foreach (var line in head.Split("\r\n"))
        {
            var colon = line.IndexOf(':');
            if (colon > 0 && line[..colon].Trim().Equals(name, StringComparison.OrdinalIgnoreCase)) return line[(colon + 1)..].Trim();
        }
        return null;
    }

    private static int IndexOf(byte[] bytes, ReadOnlySpan<byte> what, int from) =>
        from >= bytes.Length ? -1 : bytes.AsSpan(from).IndexOf(what) is var i and >= 0 ? from + i : -1;
}
