using System.Text.Json.Serialization;

namespace Realtime.Relay.OpenApi;

/// <summary>
/// <c>/openapi/v1.json</c>. Microsoft.AspNetCore.OpenApi describes types with System.Text.Json's
/// metadata while the API writes with Newtonsoft; the transformers here make the document say
/// what Newtonsoft writes, add the problem+json answers and the bearer schemes (README, "The relay's API").
/// </summary>
public static class OpenApiSetup
{
    public static IServiceCollection AddRelayOpenApi(this IServiceCollection services)
    {
        // Newtonsoft reads and writes numbers as numbers only; the web default would document "integer or string".
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);
        services.AddOpenApi(options =>
        {
            options.AddSchemaTransformer<NewtonsoftSchemaTransformer>();
            options.AddOperationTransformer<ConsumedContentTypes>();
            options.AddOperationTransformer<DocumentedBodies>();
            options.AddOperationTransformer<DocumentedQueries>();
            options.AddOperationTransformer<ProblemResponsesTransformer>();
            options.AddDocumentTransformer<SecuritySchemes>();
        });
        return services;
    }
}
