using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.IdentityModel.Tokens;
using Realtime.Relay.Configuration;
using Realtime.Relay.Infrastructure;
using Realtime.Relay.Monitoring;

namespace Realtime.Relay.Identity;

public static class AuthenticationSetup
{
    public const string PlatformUserPolicy = "PlatformUser";

    /// <summary>Platform users who may pair plugins and create games: educators and admins.</summary>
    public const string EducatorPolicy = "Educator";

    /// <summary>Platform admins only (the console's Inspector).</summary>
    public const string AdminPolicy = "Admin";

    /// <summary>Platform users authenticate with an HS256 JWT signed with AUTH_JWT_SECRET.</summary>
    public static IServiceCollection AddPlatformAuthentication(this IServiceCollection services)
    {
        // No default scheme to authenticate with: every endpoint names its scheme (the policies below, and the relay
        // clients' filter), so the authentication middleware has nothing to run on a request. With the JWT scheme as the
        // default it ran on every long-poll too, only to skip the client's opaque token (docs/performance.md).
        // Challenges and refusals without a scheme of their own still answer as the platform's JWT scheme does.
        services.AddAuthentication(options =>
        {
            options.DefaultChallengeScheme = JwtBearerDefaults.AuthenticationScheme;
            options.DefaultForbidScheme = JwtBearerDefaults.AuthenticationScheme;
        }).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<JwtSettings>((options, jwt) =>
            {
                options.MapInboundClaims = false; // keep "sub", "role", "classes" as the token says
                options.TokenValidationParameters = new TokenValidationParameters
                {
                    IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(jwt.Secret)),
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                    ValidateIssuer = jwt.Issuer is not null,
                    ValidIssuer = jwt.Issuer,
                    ValidateAudience = jwt.Audience is not null,
                    ValidAudience = jwt.Audience,
                    NameClaimType = "name",
                    RoleClaimType = "role",
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
                options.Events = new JwtBearerEvents
                {
                    // Roblox clients' opaque relay tokens are not JWTs: skip them here rather than
                    // let the handler fail (an exception per long-poll) before the relay's own scheme runs.
                    OnMessageReceived = ctx =>
                    {
                        var header = ctx.Request.Headers.Authorization.ToString();
                        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Count(c => c == '.') != 2) ctx.NoResult();
                        return Task.CompletedTask;
                    },
                    OnChallenge = async ctx =>
                    {
                        ctx.HandleResponse();
                        AuthRefusals.Count(ctx.AuthenticateFailure is null ? AuthRefusals.JwtMissing : AuthRefusals.JwtInvalid);
                        var detail = ctx.AuthenticateFailure is null
                            ? "A platform JWT is required (Authorization: Bearer <token>)."
                            : "The platform JWT is not valid (expired, wrong signature, issuer or audience).";
                        await Problems.WriteAsync(ctx.HttpContext, StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized, detail);
                    },
                    // The policies refuse a token PlatformUser cannot read; say which claim is wrong.
                    OnForbidden = ctx =>
                    {
                        if (PlatformUser.Read(ctx.HttpContext.User) is { User: null, Code: { } code, Reason: { } reason })
                            return Problems.WriteAsync(ctx.HttpContext, StatusCodes.Status403Forbidden, code, reason);
                        AuthRefusals.Count(AuthRefusals.RoleForbidden);
                        return Problems.WriteAsync(ctx.HttpContext, StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, "Your role does not allow this.");
                    },
                };
            });
        // Both policies decide on PlatformUser's one reading of the claims, the same object the
        // endpoints then use: what the policy allows, the endpoint can read (no null, no 500).
        services.AddAuthorizationBuilder()
            // A bare [Authorize] (none today) asks for a platform user, as it did while JWT was the default scheme.
            .SetDefaultPolicy(new AuthorizationPolicyBuilder(JwtBearerDefaults.AuthenticationScheme).RequireAuthenticatedUser().Build())
            .AddPolicy(PlatformUserPolicy, policy => policy
                .AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme)
                .RequireAssertion(ctx => PlatformUser.From(ctx.User) is not null))
            .AddPolicy(EducatorPolicy, policy => policy
                .AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme)
                .RequireAssertion(ctx => PlatformUser.From(ctx.User) is { Role: "admin" or "educator" }))
            .AddPolicy(AdminPolicy, policy => policy
                .AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme)
                .RequireAssertion(ctx => PlatformUser.From(ctx.User) is { IsAdmin: true }));
        return services;
    }
}
