using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Mvc.ModelBinding.Metadata;

namespace Realtime.Relay.Clients;

/// <summary>
/// Marks a controller whose routes belong to one Roblox client (base path <c>P</c>): the caller
/// must present a relay token (401 otherwise) and that token must be the client the path names
/// (403 otherwise). An action then takes the client as a plain <see cref="RelayClient"/> parameter.
/// <para>
/// An MVC filter that authenticates the relay token itself, not an <see cref="AuthorizeAttribute"/>: a policy made the
/// authorization middleware authenticate the request again, combine the policy and run the authorization service
/// on every request, a sixth of the relay's CPU per long-poll round (docs/performance.md). The answers are the
/// same: the token scheme's challenge (401), then <see cref="RelayClientAccess"/>'s refusal (403).
/// </para>
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class RelayClientEndpointAttribute : Attribute, IAsyncAuthorizationFilter
{
    public async Task OnAuthorizationAsync(AuthorizationFilterContext context)
    {
        var http = context.HttpContext;
        var services = http.RequestServices;
        var (client, _) = await ClientTokenAuthentication.AuthenticateAsync(
            http, services.GetRequiredService<IClientCredentialStore>(), services.GetRequiredService<IClientActivity>());
        if (client is null)
        {
            context.Result = new ChallengeResult(ClientTokenAuthentication.SchemeName);
            return;
        }
        http.User = ClientTokenAuthentication.PrincipalOf(client);
        if (RelayClientAccess.Authorize(http, context.RouteData.Values, out var refusal) is null)
            context.Result = refusal;
    }
}

/// <summary>Binds a <see cref="RelayClient"/> action parameter to the client the request authenticated as.</summary>
public sealed class RelayClientBinder : IModelBinder, IModelBinderProvider
{
    public Task BindModelAsync(ModelBindingContext bindingContext)
    {
        bindingContext.Result = ClientTokenAuthentication.ClientOf(bindingContext.HttpContext) is { } client
            ? ModelBindingResult.Success(client)
            : ModelBindingResult.Failed();
        return Task.CompletedTask;
    }

    public IModelBinder? GetBinder(ModelBinderProviderContext context) =>
        context.Metadata.ModelType == typeof(RelayClient) ? this : null;

    /// <summary>
    /// Registers the binder, and marks <see cref="RelayClient"/> as a non-request source (like a
    /// CancellationToken): it is neither read from the body nor listed in the OpenAPI document.
    /// Nor is it validated: it comes from the relay's own token store, and walking its properties
    /// on every request (every long-poll round) only made garbage.
    /// </summary>
    public static void Register(MvcOptions options)
    {
        options.ModelBinderProviders.Insert(0, new RelayClientBinder());
        options.ModelMetadataDetailsProviders.Add(new BindingSourceMetadataProvider(typeof(RelayClient), BindingSource.Special));
        options.ModelMetadataDetailsProviders.Add(new SuppressChildValidationMetadataProvider(typeof(RelayClient)));
    }
}
