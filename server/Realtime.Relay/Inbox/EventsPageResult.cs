using System.Buffers;
using System.Buffers.Text;
using Microsoft.AspNetCore.Mvc;

namespace Realtime.Relay.Inbox;

/// <summary>
/// The answer of <c>GET P/events</c>: byte for byte what Newtonsoft writes for an
/// <see cref="EventsPage"/> with the API's settings, put together from parts made once per event.
/// One event fanned out to many held polls is serialized once (<see cref="SharedPayload.JsonAfterSeq"/>);
/// each poll writes only its own seq around it. Events without a shared payload (read back from
/// the file, or from another engine) are serialized here, one by one. A payload that is JSON Newtonsoft would write
/// back unchanged is copied, not parsed and serialized again (<see cref="CanonicalJson"/>).
/// </summary>
public sealed class EventsPageResult(IReadOnlyList<StoredEvent> events, long next, bool gap) : IActionResult
{
    private static ReadOnlySpan<byte> PageStart => "{\"events\":["u8;
    private static ReadOnlySpan<byte> SeqStart => "{\"seq\":"u8;
    private static ReadOnlySpan<byte> NextStart => "],\"next\":"u8;
    private static ReadOnlySpan<byte> GapTrue => ",\"gap\":true}"u8;
    private static ReadOnlySpan<byte> GapFalse => ",\"gap\":false}"u8;

    public async Task ExecuteResultAsync(ActionContext context)
    {
        var response = context.HttpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        var parts = Parts();
        response.ContentLength = LengthOf(parts);
        Write(response.BodyWriter, parts);
        await response.BodyWriter.FlushAsync();
    }

    /// <summary>Per event: the JSON after its seq (shared by the copies of one append, else made for this one).</summary>
    private byte[][] Parts()
    {
        var parts = new byte[events.Count][];
        for (var i = 0; i < parts.Length; i++)
        {
            var e = events[i];
            parts[i] = e.Payload is { } shared ? shared.JsonAfterSeq(e) : InboxEnvelope.JsonAfterSeq(e);
        }
        return parts;
    }

    private long LengthOf(byte[][] parts)
    {
        long length = PageStart.Length + NextStart.Length + DigitsOf(next) + (gap ? GapTrue.Length : GapFalse.Length) + Math.Max(0, parts.Length - 1);
        for (var i = 0; i < parts.Length; i++)
            length += parts[i].Length + SeqStart.Length + DigitsOf(events[i].Seq);
        return length;
    }

    private void Write(IBufferWriter<byte> body, byte[][] parts)
    {
        body.Write(PageStart);
        for (var i = 0; i < parts.Length; i++)
        {
            if (i > 0) body.Write(","u8);
            body.Write(SeqStart);
            WriteNumber(body, events[i].Seq);
            body.Write(parts[i]);
        }
        body.Write(NextStart);
        WriteNumber(body, next);
        body.Write(gap ? GapTrue : GapFalse);
    }

    private static void WriteNumber(IBufferWriter<byte> body, long value)
    {
        var span = body.GetSpan(20);
        Utf8Formatter.TryFormat(value, span, out var written);
        body.Advance(written);
    }

    private static int DigitsOf(long value)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, digits, out var written);
        return written;
    }
}
