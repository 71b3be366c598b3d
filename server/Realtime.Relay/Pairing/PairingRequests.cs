using FluentValidation;
using Newtonsoft.Json;
using Realtime.Relay.Infrastructure;
using Realtime.Relay.OpenApi;

namespace Realtime.Relay.Pairing;

/// <summary><c>POST /api/v1/pairings</c>: what the plugin knows about where it runs (all optional).</summary>
[RequiredFields]
public sealed class StartPairingRequest
{
    [JsonConverter(typeof(StrictIntegerConverter))] public long? PlaceId { get; set; }
    public string? GameId { get; set; }
    [JsonConverter(typeof(StrictIntegerConverter))] public long? StudioUserId { get; set; }
    public string? PluginVersion { get; set; }
}

/// <summary><c>POST /api/v1/pairings/token</c>.</summary>
[RequiredFields("deviceCode")]
public sealed class PairingTokenRequest
{
    public string? DeviceCode { get; set; }
}

/// <summary><c>POST /api/v1/pairings/approve</c> and <c>/deny</c>.</summary>
[RequiredFields("userCode")]
public sealed class UserCodeRequest
{
    public string? UserCode { get; set; }
}

public sealed record StartedPairing(string DeviceCode, string UserCode, string VerificationUri, string VerificationUriComplete,
    int ExpiresIn, int Interval);

public sealed record PluginGrant(string AccessToken, string PluginId, string Channel);

public sealed record ApprovedPairing(string PluginId, string Channel);

public static class RequestRules
{
    /// <summary>Ids that are safe in paths and in Pusher channel names (<c>presence-game-&lt;id&gt;</c>).</summary>
    public const string IdPattern = "^[A-Za-z0-9_-]{1,64}$";

    private static readonly System.Text.RegularExpressions.Regex Id = new(IdPattern, System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>True for an id a route may name; anything else cannot exist (and must not reach a LiteDB index).</summary>
    public static bool IsId(string? value) => value is not null && Id.IsMatch(value);
}

public sealed class StartPairingRequestValidator : AbstractValidator<StartPairingRequest>
{
    public StartPairingRequestValidator()
    {
        RuleFor(r => r.PlaceId).GreaterThanOrEqualTo(0).OverridePropertyName("placeId")
            .WithMessage("placeId must be a Roblox place id (a whole number, 0 or more).");
        RuleFor(r => r.GameId).Matches(RequestRules.IdPattern).When(r => r.GameId is not null).OverridePropertyName("gameId")
            .WithMessage("gameId must be 1-64 characters of A-Z a-z 0-9 _ -.");
        RuleFor(r => r.StudioUserId).GreaterThanOrEqualTo(0).OverridePropertyName("studioUserId")
            .WithMessage("studioUserId must be a Roblox user id (a whole number, 0 or more).");
        RuleFor(r => r.PluginVersion).Matches("^[A-Za-z0-9._+-]{1,32}$").When(r => r.PluginVersion is not null)
            .OverridePropertyName("pluginVersion").WithMessage("pluginVersion must be 1-32 characters of A-Z a-z 0-9 . _ + -.");
    }
}

public sealed class PairingTokenRequestValidator : AbstractValidator<PairingTokenRequest>
{
    public PairingTokenRequestValidator()
    {
        RuleFor(r => r.DeviceCode).NotEmpty().MaximumLength(128).OverridePropertyName("deviceCode")
            .WithMessage("deviceCode is required: the deviceCode POST /api/v1/pairings answered.");
    }
}

public sealed class UserCodeRequestValidator : AbstractValidator<UserCodeRequest>
{
    public UserCodeRequestValidator()
    {
        RuleFor(r => r.UserCode).Must(c => UserCodes.Normalize(c) is not null).OverridePropertyName("userCode")
            .WithMessage($"userCode must be the 8 letters Studio shows, like BCDF-GHJK (letters {UserCodes.Alphabet}).");
    }
}
