using FluentValidation;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Realtime.Pusher.Rest;
using Realtime.Pusher.Validation;
using Realtime.Relay.Identity;
using Realtime.Relay.Infrastructure;

namespace Realtime.Relay.WebConsole;

/// <summary><c>POST /api/v1/console/events</c>: the Inspector's "send a test event" (admin).</summary>
[Realtime.Relay.OpenApi.RequiredFields("channel", "event", "data")]
public sealed class TestEventRequest
{
    public string? Channel { get; set; }
    public string? Event { get; set; }
    /// <summary>Sent to Pusher as this exact string (usually JSON).</summary>
    public string? Data { get; set; }
}

public sealed record TestEventSent(string Channel, string Event);

public sealed class TestEventRequestValidator : AbstractValidator<TestEventRequest>
{
    public TestEventRequestValidator()
    {
        RuleFor(r => r.Channel).Must(PusherLimits.IsValidChannelName).OverridePropertyName("channel")
            .WithMessage($"channel must be a Pusher channel name (A-Z a-z 0-9 _ - = @ , . ;, at most {PusherLimits.MaxChannelNameLength} characters).");
        RuleFor(r => r.Event).NotEmpty().MaximumLength(PusherLimits.MaxEventNameLength)
            .Must(e => e is null || !e.StartsWith("pusher:", StringComparison.Ordinal)).OverridePropertyName("event")
            .WithMessage($"event must be 1-{PusherLimits.MaxEventNameLength} characters and not start with pusher: (reserved).");
        RuleFor(r => r.Data).NotNull().Must(d => d is null || System.Text.Encoding.UTF8.GetByteCount(d) <= PusherLimits.MaxDataBytes)
            .OverridePropertyName("data").WithMessage($"data is required and at most {PusherLimits.MaxDataBytes} bytes.");
    }
}

[ApiController]
[Route("api/v1/console/events")]
[Consumes("application/json")]
[Authorize(Policy = AuthenticationSetup.AdminPolicy)]
[RequiresPusher]
public sealed class TestEventController(ILogger<TestEventController> log, PusherRestClient? rest = null) : ControllerBase
{
    /// <summary>200 once Pusher accepted the event.</summary>
    [HttpPost]
    [ProducesResponseType<TestEventSent>(StatusCodes.Status200OK)]
    [ProducesProblem(StatusCodes.Status400BadRequest, StatusCodes.Status502BadGateway, StatusCodes.Status503ServiceUnavailable)]
    public async Task<IActionResult> Send([FromBody] TestEventRequest request, CancellationToken ct)
    {
        var user = PlatformUser.From(User)!;
        try
        {
            await rest!.TriggerAsync(request.Channel!, request.Event!, request.Data!, cancellationToken: ct);
        }
        catch (Exception e) when (e is PusherApiException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return Problems.Result(HttpContext, StatusCodes.Status502BadGateway, ErrorCodes.PusherUnavailable, "Pusher did not accept the event: " + e.Message);
        }
        log.LogInformation("Admin {UserId} sent test event {Event} to {Channel}", user.Id, request.Event, request.Channel);
        return Ok(new TestEventSent(request.Channel!, request.Event!));
    }
}
