using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Realtime.Relay.OpenApi;

/// <summary>
/// A request body is documented in exactly the media types the action's <c>[Consumes]</c> names
/// (the API explorer lists the JSON input formatter's instead, and never a form).
/// </summary>
public sealed class ConsumedContentTypes : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var consumes = context.Description.ActionDescriptor.EndpointMetadata.OfType<ConsumesAttribute>().LastOrDefault();
        if (consumes is null || operation.RequestBody?.Content is not { Count: > 0 } content) return Task.CompletedTask;
        var schema = content.Values.First().Schema;
        content.Clear();
        foreach (var type in consumes.ContentTypes) content[type] = new OpenApiMediaType { Schema = schema };
        return Task.CompletedTask;
    }
}
