using System.Text;
using Microsoft.AspNetCore.Mvc;
using Realtime.Pusher.Validation;
using Realtime.Relay.Clients;
using Realtime.Relay.Games;
using Realtime.Relay.Infrastructure;

namespace Realtime.Relay.Publishing;

/// <summary>
/// <c>POST P/trigger</c>: a Roblox client publishes through the relay. Accepted events are in
/// the durable outbox before the 202; the sender publishes them to Pusher.
/// </summary>
[ApiController]
[RelayClientEndpoint]
public sealed class TriggerController(Outbox outbox, GameAccess games) : ControllerBase
{
    [HttpPost("/api/v1/plugins/{pluginId}/trigger")]
    [HttpPost("/api/v1/games/{gameId}/servers/{jobId}/trigger")]
    [ProducesResponseType<TriggerAccepted>(StatusCodes.Status202Accepted)]
    [ProducesProblem(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden)]
    public async Task<IActionResult> Trigger(RelayClient client, [FromBody] TriggerRequest? request)
    {
        var events = request!.Events!.Select(e => e!).ToList();
        var game = await games.GameOfAsync(client);
        var refused = events.Select(e => PublishPolicy.Refusal(client, e.Channel!, game)).OfType<string>().Distinct().ToList();
        if (refused.Count > 0)
            return Problems.Result(HttpContext, StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, string.Join(" ", refused));

        var entries = new List<(OutboxEntry, string?)>();
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            var wrapped = PublishPolicy.Wrap(client, e.Data);
            var size = Encoding.UTF8.GetByteCount(wrapped);
            if (size > PusherLimits.MaxDataBytes)
                return Problems.Result(HttpContext, 400, ErrorCodes.InvalidRequest,
                    $"events[{i}].data is too large: {size} bytes with the sender wrapper; Pusher allows {PusherLimits.MaxDataBytes}.",
                    new Dictionary<string, string[]> { [$"events[{i}].data"] = [$"at most {PusherLimits.MaxDataBytes} bytes once wrapped"] });
            var entry = new OutboxEntry { Channel = e.Channel!, Event = e.Event!, Data = wrapped, SenderInboxId = client.InboxId };
            entries.Add((entry, e.Id is null ? null : client.InboxId + "|" + e.Id));
        }
        var accepted = await outbox.AcceptAsync(entries);
        return StatusCode(StatusCodes.Status202Accepted, new TriggerAccepted(accepted, entries.Count - accepted));
    }
}
