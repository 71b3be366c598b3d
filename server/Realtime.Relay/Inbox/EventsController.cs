using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Newtonsoft.Json.Linq;
using Prometheus;
using Realtime.Relay.Clients;
using Realtime.Relay.Infrastructure;
using Realtime.Relay.OpenApi;

namespace Realtime.Relay.Inbox;

/// <summary>
/// What a Roblox client hears: its inbox by long-poll (<c>GET P/events</c>, live game servers
/// and Studio alike) or as Server-Sent Events (<c>GET P/stream</c>, Studio's WebStreamClient).
/// </summary>
[ApiController]
[RelayClientEndpoint]
public sealed class EventsController(IInboxStore inboxes, InboxReader reader, InboxSignals signals, InboxOptions options, HeldRequestLimits limits)
    : ControllerBase
{
    public const string RevokedEvent = "relay:revoked";

    private static readonly Gauge WaitingPolls = Metrics.CreateGauge(
        "relay_long_polls_waiting", "Long-polls held open, waiting for events.");
    private static readonly Gauge OpenStreams = Metrics.CreateGauge(
        "relay_sse_streams_open", "Server-Sent Event streams open.");

    [HttpGet("/api/v1/plugins/{pluginId}/events")]
    [HttpGet("/api/v1/games/{gameId}/servers/{jobId}/events")]
    [DocumentedQuery("after", typeof(long))]
    [DocumentedQuery("wait", typeof(int))]
    [DocumentedQuery("limit", typeof(int))]
    [ProducesResponseType<EventsPage>(StatusCodes.Status200OK)]
    [ProducesProblem(StatusCodes.Status400BadRequest)]
    public async Task<IActionResult> Poll()
    {
        // The client, the cancellation token and the query are taken from the request rather than bound as parameters:
        // MVC binds and validates each parameter with objects of its own, on every round of tens of thousands of held
        // polls (a tenth of the relay's CPU per round; docs/performance.md).
        var client = ClientTokenAuthentication.ClientOf(HttpContext) ?? throw new InvalidOperationException("[RelayClientEndpoint] lets only a relay client in.");
        var ct = HttpContext.RequestAborted;
        var query = PollQuery.Read(Request.Query);
        var (after, wait, limit) = (query.After, query.Wait, query.Limit);
        if (query.Unreadable.Count > 0 || after < 0 || wait < 0 || wait > options.MaxWaitSeconds || limit is < 1 || limit > options.MaxLimit)
            return InvalidPoll(query);

        var cursor = after ?? 0;
        var take = limit ?? options.DefaultLimit;
        var deadline = TimeSpan.FromSeconds(wait ?? options.DefaultWaitSeconds);
        var state = await inboxes.StateOfAsync(client.InboxId);
        if (state is null) return Revoked(client, cursor);
        var resume = InboxCursor.Resume(state, cursor);
        if (resume.Acknowledge is { } upTo) _ = inboxes.AcknowledgeAsync(client.InboxId, upTo);
        var requested = cursor;
        cursor = resume.From;

        // One timed wait per round, on the time left: no linked cancellation source and timer per held
        // poll (there are tens of thousands; docs/performance.md).
        var waitStarted = Stopwatch.GetTimestamp();
        HeldRequestLimits.HeldPoll? held = null; // counted against the client's held polls once it waits
        try
        {
            while (true)
            {
                var changed = signals.Current(client.InboxId);
                state = await inboxes.StateOfAsync(client.InboxId);
                if (state is null) return Revoked(client, requested);
                var events = await reader.ReadAfterAsync(client.InboxId, cursor, take);
                if (resume.Ahead) return Answer(events, state.LastSeq, gap: true);
                var left = deadline - Stopwatch.GetElapsedTime(waitStarted);
                if (events.Count > 0 || left <= TimeSpan.Zero || held is { IsCut: true })
                    return Answer(events, cursor, gap: cursor < state.DroppedThrough);
                held ??= limits.HoldPoll(client.InboxId); // a newer poll may end this wait early: it pulses the signal
                using (WaitingPolls.TrackInProgress())
                {
                    // Woken, timed out or cut: the next round decides. No exception thrown per wait that runs out.
                    await changed.WaitAsync(left, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
                if (ct.IsCancellationRequested) return ClientGone();
            }
        }
        finally
        {
            held?.Dispose();
        }
    }

    /// <summary>Logged for a poll whose client went away while it was held (nginx's "client closed request").</summary>
    public const int ClientClosedRequest = 499;

    /// <summary>
    /// The client went away while its poll was held (a server shutting down, a dropped connection, a client-side
    /// timeout): nothing can be sent, and it is not a server error. Thrown, it was logged as a 500 with its stack
    /// trace and counted as one; it is recorded as 499, with no body.
    /// </summary>
    private EmptyResult ClientGone()
    {
        if (HttpContext.Features.Get<IStatusCodePagesFeature>() is { } pages) pages.Enabled = false;
        Response.StatusCode = ClientClosedRequest;
        return new EmptyResult();
    }

    private IActionResult InvalidPoll(PollQuery query)
    {
        var problems = query.Unreadable.ToDictionary();
        if (query.After < 0) problems["after"] = ["after must be 0 or a seq the relay returned."];
        if (query.Wait is < 0 || query.Wait > options.MaxWaitSeconds) problems["wait"] = [$"wait must be 0-{options.MaxWaitSeconds} seconds."];
        if (query.Limit is < 1 || query.Limit > options.MaxLimit) problems["limit"] = [$"limit must be 1-{options.MaxLimit}."];
        return Problems.Result(HttpContext, 400, ErrorCodes.InvalidRequest, string.Join(" ", problems.Values.SelectMany(v => v)), problems);
    }

    [HttpGet("/api/v1/plugins/{pluginId}/stream")]
    [HttpGet("/api/v1/games/{gameId}/servers/{jobId}/stream")]
    [ProducesResponseType<InboxEvent>(StatusCodes.Status200OK, "text/event-stream")]
    [ProducesProblem(StatusCodes.Status400BadRequest, StatusCodes.Status429TooManyRequests)]
    public async Task Stream(RelayClient client, [FromQuery] long? after, CancellationToken ct)
    {
        var cursor = after ?? 0;
        if (long.TryParse(Request.Headers["Last-Event-ID"].ToString(), out var lastEventId) && lastEventId >= 0) cursor = lastEventId;
        if (cursor < 0)
        {
            await Problems.WriteAsync(HttpContext, 400, ErrorCodes.InvalidRequest, "after must be 0 or a seq the relay returned.");
            return;
        }
        using var slot = limits.TryOpenStream(client.InboxId);
        if (slot is null)
        {
            await RefuseStreamAsync();
            return;
        }
        var state = await inboxes.StateOfAsync(client.InboxId);
        var resume = state is null ? new InboxCursor(cursor, null, false) : InboxCursor.Resume(state, cursor);
        if (resume.Acknowledge is { } upTo) _ = inboxes.AcknowledgeAsync(client.InboxId, upTo);
        cursor = resume.From;

        Response.ContentType = "text/event-stream";
        Response.Headers.CacheControl = "no-cache";
        Response.Headers["X-Accel-Buffering"] = "no";
        using var open = OpenStreams.TrackInProgress();
        try
        {
            // Inside the try: a client gone before this first flush is not a server error either.
            await Response.Body.FlushAsync(ct);
            // The stream's counterpart of the long-poll's `gap: true`: retention dropped events
            // this client never acknowledged. No `id:`, so it does not move Last-Event-ID.
            if (state is not null && resume.Ahead)
                await WriteSseAsync(null, ChannelRouter.GapEvent, CursorAheadGap(client, state), ct);
            else if (state is not null && cursor < state.DroppedThrough)
                await WriteSseAsync(null, ChannelRouter.GapEvent, InboxEnvelope.RelayNotice(null, client.OwnChannel, ChannelRouter.GapEvent,
                    new JObject { ["reason"] = "retention", ["droppedThrough"] = state.DroppedThrough }), ct);
            while (!ct.IsCancellationRequested)
            {
                var changed = signals.Current(client.InboxId);
                state = await inboxes.StateOfAsync(client.InboxId);
                if (state is null)
                {
                    await WriteSseAsync(cursor + 1, RevokedEvent, RevokedEnvelope(client, cursor + 1), ct);
                    return;
                }
                var events = await reader.ReadAfterAsync(client.InboxId, cursor, options.DefaultLimit);
                foreach (var e in events)
                {
                    await WriteSseAsync(e.Seq, e.Event, InboxEnvelope.From(e), ct);
                    cursor = e.Seq;
                }
                if (events.Count == options.DefaultLimit) continue;
                var heartbeat = Task.Delay(options.SseHeartbeat, ct);
                if (await Task.WhenAny(changed, heartbeat) == heartbeat)
                {
                    await Response.WriteAsync(": heartbeat\n\n", ct);
                    await Response.Body.FlushAsync(ct);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { } // the client went away
        catch (IOException) when (ct.IsCancellationRequested) { } // …while a write was under way
    }

    private async Task WriteSseAsync(long? id, string eventName, InboxEvent envelope, CancellationToken ct)
    {
        await Response.WriteAsync(SseFrame.Format(id, eventName, envelope), ct);
        await Response.Body.FlushAsync(ct);
    }

    /// <summary>
    /// 429 when the client already holds its maximum of streams. Retry-After: a stream whose client
    /// is gone is noticed at its next heartbeat, so a slot frees within one heartbeat.
    /// </summary>
    private Task RefuseStreamAsync()
    {
        Response.Headers.RetryAfter = ApiError.RetryAfterSeconds(options.SseHeartbeat).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problems.WriteAsync(HttpContext, StatusCodes.Status429TooManyRequests, ErrorCodes.TooManyStreams,
            $"This client already has {options.MaxStreamsPerClient} streams open: close one, or poll GET …/events instead.");
    }

    /// <summary>
    /// The stream's counterpart of the long-poll's answer to a cursor beyond the last seq: no
    /// <c>id:</c> (Last-Event-ID stays where the client put it until real events follow).
    /// </summary>
    private static InboxEvent CursorAheadGap(RelayClient client, InboxState state) =>
        InboxEnvelope.RelayNotice(null, client.OwnChannel, ChannelRouter.GapEvent, new JObject { ["reason"] = "cursor_ahead", ["lastSeq"] = state.LastSeq });

    private static EventsPageResult Answer(List<StoredEvent> events, long cursor, bool gap) =>
        new(events, events.Count > 0 ? events[^1].Seq : cursor, gap);

    /// <summary>The inbox is gone (the plugin was revoked, the session ended): say so once, in-band.</summary>
    private OkObjectResult Revoked(RelayClient client, long cursor) => Ok(new EventsPage([RevokedEnvelope(client, cursor + 1)], cursor + 1, false));

    private static InboxEvent RevokedEnvelope(RelayClient client, long seq) => InboxEnvelope.RelayNotice(seq, client.OwnChannel, RevokedEvent,
        new JObject { ["reason"] = "This client's access was revoked or its session ended; pair or register again." });
}
