using FluentValidation;
using Newtonsoft.Json.Serialization;
using Realtime.Relay.Clients;

namespace Realtime.Relay.Infrastructure;

/// <summary>
/// The HTTP API's one pipeline: controllers with Newtonsoft JSON (camelCase) for bodies and
/// problem+json alike, validators from DI applied to every bound body, and the relay client
/// bound from its token on client routes.
/// </summary>
public static class ControllersSetup
{
    public static IServiceCollection AddRelayControllers(this IServiceCollection services)
    {
        services.AddValidatorsFromAssemblyContaining<RequestValidationFilter>(ServiceLifetime.Singleton);
        services.AddControllers(options =>
            {
                options.Filters.Add<RequestValidationFilter>();
                RelayClientBinder.Register(options);
            })
            .AddNewtonsoftJson(o => o.SerializerSettings.ContractResolver = new CamelCasePropertyNamesContractResolver());
        return services;
    }
}
