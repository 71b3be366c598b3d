using FluentValidation;
using Newtonsoft.Json.Linq;
using Realtime.Pusher.Validation;
using Realtime.Relay.Infrastructure;
using Realtime.Relay.OpenApi;

namespace Realtime.Relay.Publishing;

/// <summary><c>POST P/trigger</c>: 1–10 events to publish on the client's behalf.</summary>
[RequiredFields("events")]
public sealed record TriggerRequest(List<TriggerEvent?>? Events);

/// <summary>One event; <c>id</c> makes a retry of the same event idempotent.</summary>
[RequiredFields("channel", "event")]
public sealed record TriggerEvent(string? Channel, string? Event, JToken? Data, string? Id);

/// <summary>202: how many events went to the outbox, and how many were retries of ones already there (same <c>id</c>).</summary>
public sealed record TriggerAccepted(int Accepted, int Duplicates);

public sealed class TriggerRequestValidator : AbstractValidator<TriggerRequest>
{
    public const int MaxEvents = PusherLimits.MaxEventsPerBatch;
    public const int MaxIdLength = 100;

    public TriggerRequestValidator()
    {
        RuleFor(r => r.Events).NotNull().WithMessage("events is required: a list of 1-10 {channel, event, data, id?}.")
            .Must(e => e is null || e.Count is >= 1 and <= MaxEvents).WithMessage($"events must hold 1-{MaxEvents} events.");
        RuleForEach(r => r.Events).NotNull().WithMessage("An event cannot be null.").ChildRules(e =>
        {
            e.RuleFor(x => x!.Channel).Must(PusherLimits.IsValidChannelName).WithErrorCode(ErrorCodes.InvalidName)
                .WithMessage($"channel must be a Pusher channel name (1-{PusherLimits.MaxChannelNameLength} of A-Z a-z 0-9 _ - = @ , . ;).");
            e.RuleFor(x => x!.Event).NotEmpty().WithMessage("event is required.")
                .MaximumLength(PusherLimits.MaxEventNameLength).WithMessage($"event names are at most {PusherLimits.MaxEventNameLength} characters.")
                .Must(n => n is null || WireNames.ClientEventNameProblem(n) is null)
                .WithMessage((_, n) => WireNames.ClientEventNameProblem(n!)).WithErrorCode(ErrorCodes.InvalidName);
            e.RuleFor(x => x!.Id).MaximumLength(MaxIdLength).Matches(@"^[A-Za-z0-9_.:-]+\z").When(x => x!.Id is not null)
                .WithMessage($"id must be 1-{MaxIdLength} characters of A-Z a-z 0-9 _ . : -");
        });
    }
}
