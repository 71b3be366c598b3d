using System.Globalization;

namespace Realtime.Relay.Inbox;

/// <summary>
/// <c>GET P/events</c>'s query, read as MVC would bind it (the first value of each name; empty is absent; invariant
/// culture), without MVC's binding objects per round. A value that is not a number is listed in <see cref="Unreadable"/>
/// with MVC's message, for the 400 answer.
/// </summary>
public sealed record PollQuery(long? After, int? Wait, int? Limit, IReadOnlyDictionary<string, string[]> Unreadable)
{
    private static readonly Dictionary<string, string[]> NoneUnreadable = [];

    public static PollQuery Read(IQueryCollection query)
    {
        Dictionary<string, string[]>? unreadable = null;
        var after = Number(query, "after", ref unreadable, static (string s, out long v) => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out v));
        var wait = Number(query, "wait", ref unreadable, static (string s, out int v) => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out v));
        var limit = Number(query, "limit", ref unreadable, static (string s, out int v) => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out v));
        return new PollQuery(after, wait, limit, unreadable ?? NoneUnreadable);
    }

    private delegate bool TryParse<T>(string text, out T value);

    private static T? Number<T>(IQueryCollection query, string name, ref Dictionary<string, string[]>? unreadable, TryParse<T> parse) where T : struct
    {
        if (!query.TryGetValue(name, out var values) || string.IsNullOrWhiteSpace(values.FirstOrDefault())) return null;
        var text = values[0]!;
        if (parse(text, out var value)) return value;
        (unreadable ??= [])[name] = [$"The value '{text}' is not valid for {name}."];
        return null;
    }
}
