using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Realtime.Relay.Infrastructure;

namespace Realtime.Relay.Clients;

/// <summary>
/// Authenticates Roblox clients by the opaque bearer tokens the relay issued. JWTs (the
/// platform's users) are left to the JWT scheme: a token with two dots is not ours.
/// </summary>
public sealed class ClientTokenAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IClientCredentialStore tokens, IClientActivity activity)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "RelayClientToken";
    private const string ClientItemKey = "relay.client";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        var token = header["Bearer ".Length..].Trim();
        if (token.Count(c => c == '.') == 2) return AuthenticateResult.NoResult();
        var client = await tokens.FindAsync(ClientTokens.Hash(token));
        if (client is null)
        {
            Monitoring.AuthRefusals.Count(Monitoring.AuthRefusals.ClientTokenInvalid);
            return AuthenticateResult.Fail("unknown or revoked token");
        }
        Context.Items[ClientItemKey] = client;
        activity.Touch(client); // any authenticated call keeps a game-server session alive
        var identity = new ClaimsIdentity(
            [new Claim("client_kind", client.KindName), new Claim("client_id", client.Id)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, 401, ErrorCodes.Unauthorized, "A relay token is required (Authorization: Bearer <token>); it may have been revoked.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, 403, ErrorCodes.Forbidden, "This token does not work here.");

    /// <summary>The client the request's token belongs to, once authenticated.</summary>
    public static RelayClient? ClientOf(HttpContext http) => http.Items[ClientItemKey] as RelayClient;
}
