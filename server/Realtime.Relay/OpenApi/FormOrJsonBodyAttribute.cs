using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Realtime.Relay.OpenApi;

/// <summary>
/// An action that reads its body by hand (pusher-js posts a form, other clients JSON) names the
/// text fields it requires, so the OpenAPI document can describe a body no model binder declares.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class FormOrJsonBodyAttribute(params string[] fields) : Attribute
{
    public IReadOnlyList<string> Fields { get; } = fields;
}

/// <summary>Describes the bodies <see cref="FormOrJsonBodyAttribute"/> names, as a form and as JSON.</summary>
public sealed class FormOrJsonBodies : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var body = context.Description.ActionDescriptor.EndpointMetadata.OfType<FormOrJsonBodyAttribute>().FirstOrDefault();
        if (body is null || operation.RequestBody is not null) return Task.CompletedTask;
        OpenApiSchema Schema() => new()
        {
            Type = JsonSchemaType.Object,
            Properties = body.Fields.ToDictionary(f => f, IOpenApiSchema (_) => new OpenApiSchema { Type = JsonSchemaType.String }),
            Required = new HashSet<string>(body.Fields),
        };
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/x-www-form-urlencoded"] = new() { Schema = Schema() },
                ["application/json"] = new() { Schema = Schema() },
            },
        };
        return Task.CompletedTask;
    }
}
