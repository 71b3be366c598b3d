using System.Net;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Tests.Processes;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Faults;

/// <summary>One event as a client saw it in a long-poll answer.</summary>
public sealed record SeenEvent(long Seq, string Event, JToken? Data);

/// <summary>
/// A plugin's long-poll loop as the Studio plugin runs it: keeps its cursor, acknowledges what it
/// handled by asking for what follows, and records every event it received (duplicates included).
/// </summary>
public sealed class InboxPoller(PairedPlugin plugin)
{
    /// <summary>Every event received, once per seq, in the order received.</summary>
    public List<SeenEvent> Seen { get; } = [];
    /// <summary>Events delivered again after this client acknowledged them: must stay empty.</summary>
    public List<SeenEvent> Redelivered { get; } = [];
    public long Cursor { get; private set; }

    /// <summary>One poll at the current cursor (acknowledging it); false if the relay did not answer 200.</summary>
    public async Task<bool> PollOnceAsync(string relayUrl, int wait = 5, bool acknowledge = true, object? lockOn = null)
    {
        using var http = plugin.Client(relayUrl);
        HttpResponseMessage res;
        try { res = await http.GetAsync($"{plugin.BasePath}/events?after={(acknowledge ? Cursor : 0)}&wait={wait}"); }
        catch (HttpRequestException) { return false; } // the relay is down (restarting)
        if (res.StatusCode != HttpStatusCode.OK) return false;
        var body = JObject.Parse(await res.Content.ReadAsStringAsync());
        lock (lockOn ?? new object()) Record(body, acknowledge);
        return true;
    }

    private void Record(JObject body, bool acknowledge)
    {
        foreach (var e in (JArray)body["events"]!)
        {
            var seen = new SeenEvent((long)e["seq"]!, (string)e["event"]!, e["data"]);
            if (seen.Seq <= Cursor) Redelivered.Add(seen);
            else if (Seen.All(s => s.Seq != seen.Seq)) Seen.Add(seen); // an unacknowledged event may come again
            else if (Seen.First(s => s.Seq == seen.Seq).Event != seen.Event) Redelivered.Add(seen); // same seq, other event: a reused seq
        }
        if (acknowledge) Cursor = Math.Max(Cursor, (long)body["next"]!);
    }

    /// <summary>Polls until an event matching <paramref name="until"/> has been seen.</summary>
    public async Task UntilAsync(Func<SeenEvent, bool> until, string relayUrl, string what, bool acknowledge = true)
    {
        await Wait.UntilAsync(async () =>
        {
            if (Seen.Any(until)) return true;
            await PollOnceAsync(relayUrl, acknowledge: acknowledge);
            return Seen.Any(until);
        }, TimeSpan.FromSeconds(60), what);
    }

    public IEnumerable<SeenEvent> Gaps => Seen.Where(e => e.Event == "relay:gap");
}
