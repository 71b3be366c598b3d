namespace Realtime.Relay.Infrastructure;

/// <summary>
/// Rules for event and channel names that reach a wire format (an SSE line, a JSON field, a
/// Pusher message, a log line). A name may not carry anything that a line-based reader could
/// take for a line break or a frame boundary, nor pose as a protocol's own event by case or
/// padding (<c>Relay:revoked</c>, <c>" relay:gap"</c>).
/// </summary>
public static class WireNames
{
    /// <summary>Event names only Pusher (<c>pusher:</c>, <c>pusher_internal:</c>) or the relay (<c>relay:</c>) may use.</summary>
    public static readonly string[] ReservedPrefixes = ["pusher:", "pusher_internal:", "relay:"];

    /// <summary>
    /// C0 controls (CR, LF, NUL…), DEL, C1 controls (NEL is U+0085), and the Unicode line and
    /// paragraph separators: some reader somewhere treats each as the end of a line.
    /// </summary>
    public static bool IsLineBreakingOrControl(char c) =>
        c < '\u0020' || c is >= '\u007F' and <= '\u009F' || c is '\u2028' or '\u2029';

    /// <summary>A control character, a line separator, or half of a surrogate pair on its own.</summary>
    public static bool HasUnsafeCharacters(string name)
    {
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (IsLineBreakingOrControl(c)) return true;
            if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c)) return true;
        }
        return false;
    }

    public static bool HasSurroundingWhitespace(string name) =>
        name.Length > 0 && (char.IsWhiteSpace(name[0]) || char.IsWhiteSpace(name[^1]));

    /// <summary>Reserved whatever its case or padding: <c>PUSHER:x</c> and <c>" relay:gap"</c> are.</summary>
    public static bool IsReserved(string name)
    {
        var trimmed = name.Trim();
        return ReservedPrefixes.Any(p => trimmed.StartsWith(p, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Why an event name a Roblox client sent is refused (beyond its length), or null when it is fine.</summary>
    public static string? ClientEventNameProblem(string name)
    {
        if (HasUnsafeCharacters(name)) return "event names cannot contain control characters, line breaks (CR, LF, U+2028, U+2029) or unpaired surrogates.";
        if (HasSurroundingWhitespace(name)) return "event names cannot start or end with whitespace.";
        if (IsReserved(name)) return "event names starting with pusher:, pusher_internal: or relay: (in any case) are reserved.";
        return null;
    }

    /// <summary>A name as it may appear in a log line: control characters shown as \uXXXX, long names cut.</summary>
    public static string ForLog(string name)
    {
        var shown = string.Concat(name.Take(120).Select(c => IsLineBreakingOrControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:X4}" : c.ToString()));
        return name.Length > 120 ? shown + "…" : shown;
    }
}
