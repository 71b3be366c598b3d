using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Realtime.Relay.Inbox;

/// <summary>
/// One event as clients receive it: <c>{seq, channel, event, data, userId?, at}</c>. <c>data</c> is
/// the parsed JSON when the Pusher payload is JSON (as pusher-js does), else the string; <c>seq</c>
/// is absent on the stream's in-band gap notices, which do not move the cursor.
/// </summary>
public sealed record InboxEvent(
    [property: JsonProperty(NullValueHandling = NullValueHandling.Ignore)] long? Seq,
    string Channel, string Event, JToken Data,
    [property: JsonProperty(NullValueHandling = NullValueHandling.Ignore)] string? UserId,
    string At);

/// <summary><c>GET P/events</c>: events after the cursor, the next cursor, and whether events were lost.</summary>
public sealed record EventsPage(IReadOnlyList<InboxEvent> Events, long Next, bool Gap);

/// <summary><c>GET|PUT P/subscriptions</c>: every channel the client hears, its own first.</summary>
public sealed record Subscriptions(IReadOnlyList<string> Channels);
