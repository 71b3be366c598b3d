using System.Globalization;

namespace Realtime.Relay.Inbox;

/// <summary>
/// Says whether a Pusher payload is JSON that Newtonsoft would write back exactly as it is: no whitespace, no
/// duplicate member names, strings with only the escapes Newtonsoft writes itself, numbers in the form Newtonsoft
/// writes them. Such a payload goes into a poll's answer as it came, instead of being parsed and serialized again
/// (a tenth of the relay's CPU under load; docs/performance.md). Anything else answers <c>false</c> and takes the
/// parse-and-serialize path, which stays the definition of the wire format (<see cref="InboxEnvelope.ParseData"/>).
/// </summary>
internal static class CanonicalJson
{
    // Newtonsoft's reader refuses deeper documents (the payload then stays a string): leave those to it.
    private const int MaxDepth = 48;
    // Members of one object compared pairwise for duplicates; a larger object takes the other path.
    private const int MaxMembersChecked = 32;

    public static bool IsCanonical(string text)
    {
        if (text.Length == 0) return false; // an empty payload is a string, not JSON
        var at = 0;
        return Value(text, ref at, 0) && at == text.Length;
    }

    private static bool Value(string s, ref int at, int depth)
    {
        if (at >= s.Length) return false;
        switch (s[at])
        {
            case '{': return depth < MaxDepth && Object(s, ref at, depth + 1);
            case '[': return depth < MaxDepth && Array(s, ref at, depth + 1);
            case '"': return String(s, ref at);
            case 't': return Literal(s, ref at, "true");
            case 'f': return Literal(s, ref at, "false");
            case 'n': return Literal(s, ref at, "null");
            default: return Number(s, ref at);
        }
    }

    private static bool Object(string s, ref int at, int depth)
    {
        at++; // '{'
        if (at < s.Length && s[at] == '}') { at++; return true; }
        Span<(int Start, int Length)> names = stackalloc (int, int)[MaxMembersChecked];
        var count = 0;
        while (true)
        {
            var nameStart = at;
            if (at >= s.Length || s[at] != '"' || !String(s, ref at)) return false;
            if (count == MaxMembersChecked) return false;
            var name = s.AsSpan(nameStart, at - nameStart);
            for (var i = 0; i < count; i++)
                if (name.SequenceEqual(s.AsSpan(names[i].Start, names[i].Length))) return false; // Newtonsoft keeps one of them
            names[count++] = (nameStart, at - nameStart);
            if (at >= s.Length || s[at] != ':') return false;
            at++;
            if (!Value(s, ref at, depth)) return false;
            if (at >= s.Length) return false;
            if (s[at] == '}') { at++; return true; }
            if (s[at] != ',') return false;
            at++;
        }
    }

    private static bool Array(string s, ref int at, int depth)
    {
        at++; // '['
        if (at < s.Length && s[at] == ']') { at++; return true; }
        while (true)
        {
            if (!Value(s, ref at, depth)) return false;
            if (at >= s.Length) return false;
            if (s[at] == ']') { at++; return true; }
            if (s[at] != ',') return false;
            at++;
        }
    }

    /// <summary>
    /// A string as Newtonsoft writes it: its escapes for <c>" \ \b \f \n \r \t</c> and nothing else escaped; raw
    /// characters it would escape (controls, U+0085, U+2028, U+2029) or escapes it would write otherwise (<c>\/</c>,
    /// <c>\u…</c>) are not canonical.
    /// </summary>
    private static bool String(string s, ref int at)
    {
        at++; // opening quote
        while (at < s.Length)
        {
            var c = s[at++];
            if (c == '"') return true;
            if (c == '\\')
            {
                if (at >= s.Length) return false;
                var escaped = s[at++];
                if (escaped is not ('"' or '\\' or 'b' or 'f' or 'n' or 'r' or 't')) return false;
            }
            else if (c < 0x20 || c == '\u0085' || c == '\u2028' || c == '\u2029') return false;
        }
        return false;
    }

    private static bool Literal(string s, ref int at, string literal)
    {
        if (string.CompareOrdinal(s, at, literal, 0, literal.Length) != 0) return false;
        at += literal.Length;
        return true;
    }

    /// <summary>
    /// An integer Newtonsoft reads as a long and writes back unchanged (no leading zero, no <c>-0</c>), or a number
    /// with a fraction or exponent that Newtonsoft's own writing of the double it reads gives back exactly.
    /// </summary>
    private static bool Number(string s, ref int at)
    {
        var start = at;
        if (at < s.Length && s[at] == '-') at++;
        var digitsStart = at;
        while (at < s.Length && char.IsAsciiDigit(s[at])) at++;
        var digits = at - digitsStart;
        if (digits == 0) return false;
        var fractional = false;
        while (at < s.Length && (char.IsAsciiDigit(s[at]) || s[at] is '.' or 'e' or 'E' or '+' or '-'))
        {
            fractional = true;
            at++;
        }
        var token = s.AsSpan(start, at - start);
        if (!fractional)
        {
            if (digits > 1 && s[digitsStart] == '0') return false;
            if (token is "-0") return false;
            return digits <= 18;
        }
        if (s[digitsStart] == '0' && digits > 1) return false;
        if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value)) return false;
        return token.SequenceEqual(Newtonsoft.Json.JsonConvert.ToString(value));
    }
}
