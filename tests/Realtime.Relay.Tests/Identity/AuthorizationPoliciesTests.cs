using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Realtime.Relay.Tests.Identity;

/// <summary>
/// The relay has no default authentication scheme (nothing is authenticated before an endpoint asks): every
/// endpoint that needs a user names a policy, and those name their scheme (docs/performance.md).
/// </summary>
public sealed class AuthorizationPoliciesTests : IDisposable
{
    private readonly RelayFactory _relay = new();

    [Fact]
    public void Every_endpoint_that_asks_for_authorization_names_a_policy()
    {
        _relay.CreateClient().Dispose(); // the endpoints exist once the relay has started
        var endpoints = _relay.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints;
        Assert.Contains(endpoints, e => e.Metadata.GetOrderedMetadata<IAuthorizeData>().Any()); // the metadata is read
        var bare = endpoints
            .Where(e => e.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => string.IsNullOrEmpty(a.Policy)))
            .Select(e => e.DisplayName)
            .ToList();
        Assert.Empty(bare);
    }

    [Fact]
    public async Task A_bare_authorize_would_ask_for_a_platform_jwt()
    {
        var policy = await _relay.Services.GetRequiredService<IAuthorizationPolicyProvider>().GetDefaultPolicyAsync();
        Assert.Equal([JwtBearerDefaults.AuthenticationScheme], policy.AuthenticationSchemes);
        Assert.Contains(policy.Requirements, r => r is DenyAnonymousAuthorizationRequirement);
    }

    public void Dispose() => _relay.Dispose();
}
