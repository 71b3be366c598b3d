using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Realtime.Pusher.Validation;
using Realtime.Relay.Clients;
using Realtime.Relay.Infrastructure;

namespace Realtime.Relay.Inbox;

[Realtime.Relay.OpenApi.RequiredFields("channels")]
public sealed record SubscriptionsRequest(List<string>? Channels);

public sealed class SubscriptionsRequestValidator : AbstractValidator<SubscriptionsRequest>
{
    public SubscriptionsRequestValidator()
    {
        RuleFor(r => r.Channels).NotNull().WithMessage("channels is required (a list of channel names).");
        RuleFor(r => r.Channels!.Count).LessThanOrEqualTo(SubscriptionPolicy.MaxChannelsPerClient)
            .When(r => r.Channels is not null).OverridePropertyName("channels")
            .WithMessage($"At most {SubscriptionPolicy.MaxChannelsPerClient} channels.");
        RuleForEach(r => r.Channels).NotEmpty().OverridePropertyName("channels").WithMessage("Channel names cannot be empty.");
        // Malformed names (control characters, line breaks, spaces…) are refused where they enter, before any policy.
        RuleForEach(r => r.Channels).Must(c => string.IsNullOrEmpty(c) || PusherLimits.IsValidChannelName(c))
            .OverridePropertyName("channels").WithErrorCode(ErrorCodes.InvalidName)
            .WithMessage((_, c) => $"'{WireNames.ForLog(c ?? "")}' is not a Pusher channel name (1-{PusherLimits.MaxChannelNameLength} of A-Z a-z 0-9 _ - = @ , . ;).");
    }
}

/// <summary><c>GET|PUT P/subscriptions</c>: what else the client hears. Its own channel is always included.</summary>
[ApiController]
[RelayClientEndpoint]
public sealed class SubscriptionsController(IInboxStore inboxes, SubscriptionPolicy policy, ChannelRouter router) : ControllerBase
{
    [HttpGet("/api/v1/plugins/{pluginId}/subscriptions")]
    [HttpGet("/api/v1/games/{gameId}/servers/{jobId}/subscriptions")]
    [ProducesResponseType<Subscriptions>(StatusCodes.Status200OK)]
    [ProducesProblem(StatusCodes.Status410Gone)]
    public async Task<IActionResult> Get(RelayClient client)
    {
        var state = await inboxes.StateOfAsync(client.InboxId);
        if (state is null) return Gone();
        return Ok(new Subscriptions(ChannelRouter.ChannelsOf(state)));
    }

    [HttpPut("/api/v1/plugins/{pluginId}/subscriptions")]
    [HttpPut("/api/v1/games/{gameId}/servers/{jobId}/subscriptions")]
    [ProducesResponseType<Subscriptions>(StatusCodes.Status200OK)]
    [ProducesProblem(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status410Gone)]
    public async Task<IActionResult> Put(RelayClient client, [FromBody] SubscriptionsRequest? request)
    {
        var channels = request!.Channels!;
        var refused = channels.Select(c => policy.Refusal(client, c)).OfType<string>().ToList();
        if (refused.Count > 0)
            return Problems.Result(HttpContext, 403, ErrorCodes.Forbidden, string.Join(" ", refused),
                new Dictionary<string, string[]> { ["channels"] = refused.ToArray() });

        var extras = channels.Where(c => c != client.OwnChannel).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (await inboxes.StateOfAsync(client.InboxId) is null) return Gone();
        await inboxes.SetSubscriptionsAsync(client.InboxId, extras);
        // Closed meanwhile (revoked, session ended): nothing to route.
        if (await inboxes.StateOfAsync(client.InboxId) is not { } state) return Gone();
        router.Update(state, announce: true);
        return Ok(new Subscriptions(ChannelRouter.ChannelsOf(state)));
    }

    private ObjectResult Gone() => Problems.Result(HttpContext, 410, ErrorCodes.InboxClosed, "This client's inbox was closed (revoked or session ended).");
}
