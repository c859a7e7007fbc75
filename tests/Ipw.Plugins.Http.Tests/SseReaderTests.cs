using System.Buffers;
using System.Text;
using CsCheck;

namespace Ipw.Plugins.Http.Tests;

/// <summary>Server-sent events as servers frame them: LF, CRLF, bare CR (dispatched at once), comments, multi-line
/// data, and llama.cpp's old <c>error:</c> line.</summary>
public sealed class SseReaderTests
{
    private static List<(string Type, string Data)> Feed(SseReader reader, params string[] pieces)
    {
        var events = new List<(string, string)>();
        foreach (var piece in pieces)
            reader.Feed(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(piece)), (t, d) => events.Add((Encoding.UTF8.GetString(t), Encoding.UTF8.GetString(d))), () => false);
        return events;
    }

    /// <summary>A data line is dispatched from the buffer it arrived in when its event ends there; the reader must
    /// copy it before that buffer is reused. Any split of a stream, each piece fed through one buffer that is
    /// scribbled over after every call (as the pooled read buffer is), gives the events of the stream fed whole.</summary>
    [Fact]
    public void Any_split_through_one_reused_buffer_gives_the_events_of_the_whole_stream()
    {
        var line = Gen.OneOf(
            Gen.String[Gen.Char['a', 'z'], 0, 12].Select(t => $"data: {t}"),
            Gen.String[Gen.Char['a', 'z'], 0, 12].Select(t => $"data:{t}"),
            Gen.Const("error: {\"code\":1}"), Gen.Const("event: error"), Gen.Const(": ping"), Gen.Const("id: 3"), Gen.Const(""));
        var eol = Gen.OneOf(Gen.Const("\n"), Gen.Const("\r\n"), Gen.Const("\r"));
        var stream = Gen.Select(line, eol).Select(p => p.Item1 + p.Item2).Array[1, 30].Select(parts => string.Concat(parts) + "\n\n");
        Gen.Select(stream, Gen.Int[1, 40].Array[1, 30]).Sample((text, cuts) =>
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            var expected = Feed(new SseReader(), text);
            var reader = new SseReader();
            var events = new List<(string, string)>();
            var buffer = new byte[64];
            var at = 0;
            for (var i = 0; at < bytes.Length; i++)
            {
                var n = Math.Min(Math.Min(cuts[i % cuts.Length], buffer.Length), bytes.Length - at);
                bytes.AsSpan(at, n).CopyTo(buffer);
                reader.Feed(new ReadOnlySequence<byte>(buffer, 0, n), (t, d) => events.Add((Encoding.UTF8.GetString(t), Encoding.UTF8.GetString(d))), () => false);
                buffer.AsSpan().Fill((byte)'#');
                at += n;
            }
            return events.SequenceEqual(expected);
        }, iter: 2000);
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public void Every_line_ending_the_spec_allows_ends_an_event(string eol)
    {
        var events = Feed(new SseReader(), $"data: {{\"a\":1}}{eol}{eol}data: [DONE]{eol}{eol}");
        Assert.Equal([("", "{\"a\":1}"), ("", "[DONE]")], events);
    }

    [Fact]
    public void A_bare_cr_at_the_end_of_a_read_dispatches_without_waiting_for_more_bytes()
    {
        var reader = new SseReader();
        // The event's last byte is the CR that ends it: it must be dispatched now, not when the next bytes come.
        Assert.Equal([("", "first")], Feed(reader, "data: first\r\r"));
        // An LF that follows a CR in the next read is the same line ending, not an empty line.
        Assert.Equal([("", "second")], Feed(reader, "\ndata: second\r\n", "\r\n"));
    }

    [Fact]
    public void A_line_split_across_reads_is_joined()
    {
        Assert.Equal([("", "{\"choices\":[]}")], Feed(new SseReader(), "da", "ta: {\"choi", "ces\":[]}\n", "\n"));
    }

    [Fact]
    public void Comments_and_unknown_fields_are_skipped_and_data_lines_joined()
    {
        Assert.Equal([("", "a\nb")], Feed(new SseReader(), ": keep-alive\n\nid: 7\nretry: 100\ndata: a\ndata:b\n\n"));
    }

    [Fact]
    public void The_event_field_names_the_type_and_llama_cpps_error_line_is_an_error_event()
    {
        Assert.Equal([("error", "{\"message\":\"boom\"}")], Feed(new SseReader(), "event: error\ndata: {\"message\":\"boom\"}\n\n"));
        Assert.Equal([("error", "{\"code\":500,\"message\":\"slot failed\"}")], Feed(new SseReader(), "error: {\"code\":500,\"message\":\"slot failed\"}\n\n"));
    }

    [Fact]
    public void A_last_event_without_its_blank_line_counts_but_a_line_cut_mid_way_does_not()
    {
        var reader = new SseReader();
        var events = Feed(reader, "data: {\"a\":1}\n\ndata: last\n");
        reader.End((t, d) => events.Add((Encoding.UTF8.GetString(t), Encoding.UTF8.GetString(d))));
        Assert.Equal([("", "{\"a\":1}"), ("", "last")], events);

        reader = new SseReader();
        events = Feed(reader, "data: {\"a\":1}\n\ndata: {\"cho");
        reader.End((t, d) => events.Add((Encoding.UTF8.GetString(t), Encoding.UTF8.GetString(d))));
        Assert.Equal([("", "{\"a\":1}")], events);
    }
}
