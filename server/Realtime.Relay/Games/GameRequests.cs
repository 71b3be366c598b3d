using FluentValidation;
using Newtonsoft.Json;
using Realtime.Relay.Infrastructure;
using Realtime.Relay.OpenApi;
using Realtime.Relay.Pairing;

namespace Realtime.Relay.Games;

/// <summary><c>POST /api/v1/games</c>.</summary>
[RequiredFields("gameId", "name")]
public sealed class CreateGameRequest
{
    public string? GameId { get; set; }
    public string? Name { get; set; }
}

/// <summary><c>POST /api/v1/games/{gameId}/servers</c>: one live server (its <c>game.JobId</c>).</summary>
[RequiredFields("jobId", "placeId")]
public sealed class RegisterServerRequest
{
    public string? JobId { get; set; }
    [JsonConverter(typeof(StrictIntegerConverter))] public long? PlaceId { get; set; }
}

/// <summary>The server key, shown once (at creation and at each rotation).</summary>
public sealed record GameKey(string GameId, string ServerKey);

/// <summary>A live server's session: its token, and its id (the job id) in <c>/games/{gameId}/servers/{serverId}</c>.</summary>
public sealed record ServerSession(string AccessToken, string ServerId);

public sealed class CreateGameRequestValidator : AbstractValidator<CreateGameRequest>
{
    public CreateGameRequestValidator()
    {
        RuleFor(r => r.GameId).NotEmpty().Matches(RequestRules.IdPattern).OverridePropertyName("gameId")
            .WithMessage("gameId must be 1-64 characters of A-Z a-z 0-9 _ - (it becomes part of channel names such as presence-game-<gameId>).");
        RuleFor(r => r.Name).Must(n => !string.IsNullOrWhiteSpace(n) && n.Length <= 100).OverridePropertyName("name")
            .WithMessage("name must be 1-100 characters.");
    }
}

public sealed class RegisterServerRequestValidator : AbstractValidator<RegisterServerRequest>
{
    public RegisterServerRequestValidator()
    {
        RuleFor(r => r.JobId).NotEmpty().Matches(RequestRules.IdPattern).OverridePropertyName("jobId")
            .WithMessage("jobId must be 1-64 characters of A-Z a-z 0-9 _ - (Roblox's game.JobId; in Studio, any unique id).");
        RuleFor(r => r.PlaceId).NotNull().GreaterThanOrEqualTo(0).OverridePropertyName("placeId")
            .WithMessage("placeId must be the Roblox place id (a whole number, 0 or more).");
    }
}
