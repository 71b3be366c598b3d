using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Realtime.Relay.Identity;
using Realtime.Relay.Infrastructure;

namespace Realtime.Relay.Pairing;

/// <summary>What a pairing code asks for, shown to the approver before Approve / Deny (the console's Pair page).</summary>
public sealed record PairingDetails(string UserCode, long? PlaceId, string? GameId, long? StudioUserId, string? PluginVersion,
    DateTime CreatedAt, int ExpiresIn, string Status)
{
    public static PairingDetails From(PairingRecord p, DateTime now) => new(UserCodes.Format(p.UserCode), p.PlaceId, p.GameId,
        p.StudioUserId, p.PluginVersion, p.CreatedAt, Math.Max(0, (int)Math.Ceiling((p.ExpiresAt - now).TotalSeconds)), StatusOf(p.State));

    /// <summary><c>pending</c>, <c>approved</c> (the plugin has not fetched its token yet), <c>paired</c> or <c>denied</c>.</summary>
    public static string StatusOf(PairingState state) => state switch
    {
        PairingState.Pending => "pending",
        PairingState.Approved => "approved",
        PairingState.Consumed => "paired",
        _ => "denied",
    };
}

/// <summary><c>GET /api/v1/pairings/{userCode}</c> (educator or admin JWT).</summary>
[ApiController]
[Route("api/v1/pairings")]
public sealed class PairingLookupController(PairingService pairings) : ControllerBase
{
    /// <summary>200 with the request's details; 404 problem when the code is unknown or expired.</summary>
    [HttpGet("{userCode}")]
    [Authorize(Policy = AuthenticationSetup.EducatorPolicy)]
    [ProducesResponseType<PairingDetails>(StatusCodes.Status200OK)]
    [ProducesProblem(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status429TooManyRequests)]
    public async Task<IActionResult> Lookup(string userCode)
    {
        if (UserCodes.Normalize(userCode) is null)
            return Problems.Result(HttpContext, StatusCodes.Status400BadRequest, ErrorCodes.InvalidRequest,
                $"userCode must be the 8 letters Studio shows, like BCDF-GHJK (letters {UserCodes.Alphabet}).",
                new Dictionary<string, string[]> { ["userCode"] = ["8 letters, optionally ABCD-EFGH"] });
        var outcome = await pairings.LookupAsync(PlatformUser.From(User)!, userCode);
        return outcome.Error?.ToResult(HttpContext) ?? Ok(outcome.Value);
    }
}
