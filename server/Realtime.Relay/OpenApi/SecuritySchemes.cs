using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Realtime.Relay.OpenApi;

/// <summary>The three kinds of bearer the relay accepts, as OpenAPI security schemes.</summary>
public sealed class SecuritySchemes : IOpenApiDocumentTransformer
{
    /// <summary>The opaque token the relay issued to a plugin (pairing) or a game-server session (registration).</summary>
    public const string RelayClientToken = "relayClientToken";
    /// <summary>The platform's HS256 JWT (dashboard, backend, console).</summary>
    public const string PlatformJwt = "platformJwt";
    /// <summary>A game's server key (<c>rbk_…</c>), shown once at creation and at each rotation.</summary>
    public const string GameServerKey = "gameServerKey";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[RelayClientToken] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http, Scheme = "bearer",
            Description = "A relay client token (Studio plugin or game-server session); it works only under its own base path.",
        };
        document.Components.SecuritySchemes[PlatformJwt] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "JWT",
            Description = "The platform's HS256 JWT: claims sub, name, role (admin, educator or student), optional classes.",
        };
        document.Components.SecuritySchemes[GameServerKey] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http, Scheme = "bearer",
            Description = "A game's server key, as POST /api/v1/games or its rotation answered.",
        };
        return Task.CompletedTask;
    }
}

/// <summary>
/// For routes that authenticate their caller themselves (several kinds of bearer accepted): which
/// security schemes the OpenAPI document lists for them.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AcceptsBearerAttribute(params string[] schemes) : Attribute
{
    public IReadOnlyList<string> Schemes { get; } = schemes;
}
