using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Realtime.Relay.OpenApi;

/// <summary>
/// For an action that must read its body as raw bytes (a signature covers them): the shape the
/// OpenAPI document gives that body, since no model binder declares one.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class DocumentedBodyAttribute(Type shape, string contentType) : Attribute
{
    public Type Shape { get; } = shape;
    public string ContentType { get; } = contentType;
}

/// <summary>Describes the bodies <see cref="DocumentedBodyAttribute"/> names.</summary>
public sealed class DocumentedBodies : IOpenApiOperationTransformer
{
    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var body = context.Description.ActionDescriptor.EndpointMetadata.OfType<DocumentedBodyAttribute>().FirstOrDefault();
        if (body is null || operation.RequestBody is not null) return;
        var schema = await context.GetOrCreateSchemaAsync(body.Shape, null, cancellationToken);
        context.Document!.AddComponent(body.Shape.Name, schema);
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [body.ContentType] = new() { Schema = new OpenApiSchemaReference(body.Shape.Name, context.Document) },
            },
        };
    }
}
