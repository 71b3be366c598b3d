using System.Text;
using Newtonsoft.Json;
using Realtime.Relay.Infrastructure;

namespace Realtime.Relay.Inbox;

/// <summary>
/// One Server-Sent Events frame: <c>id:</c> (optional), <c>event:</c>, one <c>data:</c> line.
/// Whatever the text — an event stored before names were checked, a bug upstream — a frame
/// never holds a raw line break outside its own separators, so no text can end a field early
/// and start a forged one (<c>id: 999999</c>, <c>event: relay:revoked</c>).
/// </summary>
public static class SseFrame
{
    public static string Format(long? id, string eventName, InboxEvent envelope)
    {
        var frame = new StringBuilder();
        if (id is not null) frame.Append("id: ").Append(id.Value).Append('\n');
        frame.Append("event: ");
        AppendEscaped(frame, eventName);
        frame.Append("\ndata: ");
        // Compact JSON can only hold these characters inside strings, where \uXXXX means the same.
        AppendEscaped(frame, JsonConvert.SerializeObject(envelope, Formatting.None, InboxEnvelope.Json));
        return frame.Append("\n\n").ToString();
    }

    /// <summary>Control characters and line separators become the six characters <c>\uXXXX</c>.</summary>
    private static void AppendEscaped(StringBuilder frame, string text)
    {
        foreach (var c in text)
        {
            if (WireNames.IsLineBreakingOrControl(c)) frame.Append("\\u").Append(((int)c).ToString("x4"));
            else frame.Append(c);
        }
    }
}
