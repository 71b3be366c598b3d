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

    // What a request authenticated as a relay client says of itself, one per kind, made once: the client is in the
    // request's items (ClientOf), and nothing reads an id from the claims, so a principal per request was only garbage
    // on every long-poll round (docs/performance.md).
    private static readonly ClaimsPrincipal PluginPrincipal = NewPrincipal(ClientKind.Plugin);
    private static readonly ClaimsPrincipal GameServerPrincipal = NewPrincipal(ClientKind.GameServer);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var (client, failure) = await AuthenticateAsync(Context, tokens, activity);
        if (client is null) return failure is null ? AuthenticateResult.NoResult() : AuthenticateResult.Fail(failure);
        // A principal of its own: the authentication service hands it to claims transformations, which may change it.
        return AuthenticateResult.Success(new AuthenticationTicket(NewPrincipal(client.Kind), SchemeName));
    }

    /// <summary>
    /// The scheme's check, callable without the authentication service: <see cref="RelayClientEndpointAttribute"/> runs it
    /// on every client request, where the service's handler lookup, handler, ticket and properties were a tenth of what
    /// a long-poll round allocated (docs/performance.md). On success the request's client is set (<see cref="ClientOf"/>).
    /// No client and no failure: the request carries no relay token (none, or a platform JWT).
    /// </summary>
    public static async ValueTask<(RelayClient? Client, string? Failure)> AuthenticateAsync(
        HttpContext http, IClientCredentialStore tokens, IClientActivity activity)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return (null, null);
        var token = header.AsSpan("Bearer ".Length).Trim();
        if (token.Count('.') == 2) return (null, null);
        var client = await tokens.FindAsync(ClientTokens.Hash(token));
        if (client is null)
        {
            Monitoring.AuthRefusals.Count(Monitoring.AuthRefusals.ClientTokenInvalid);
            return (null, "unknown or revoked token");
        }
        http.Items[ClientItemKey] = client;
        activity.Touch(client); // any authenticated call keeps a game-server session alive
        return (client, null);
    }

    /// <summary>The user a request authenticated as <paramref name="client"/> is.</summary>
    public static ClaimsPrincipal PrincipalOf(RelayClient client) => client.Kind == ClientKind.Plugin ? PluginPrincipal : GameServerPrincipal;

    private static ClaimsPrincipal NewPrincipal(ClientKind kind) =>
        new(new ClaimsIdentity([new Claim("client_kind", kind == ClientKind.Plugin ? "plugin" : "server")], SchemeName));

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, 401, ErrorCodes.Unauthorized, "A relay token is required (Authorization: Bearer <token>); it may have been revoked.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, 403, ErrorCodes.Forbidden, "This token does not work here.");

    /// <summary>The client the request's token belongs to, once authenticated.</summary>
    public static RelayClient? ClientOf(HttpContext http) => http.Items[ClientItemKey] as RelayClient;
}
