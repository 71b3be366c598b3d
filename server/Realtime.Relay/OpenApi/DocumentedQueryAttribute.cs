using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Realtime.Relay.OpenApi;

/// <summary>
/// For an action that reads a query value itself instead of having MVC bind it (the long-poll: binding cost more per
/// round than the rest of the action; docs/performance.md): the parameter the OpenAPI document lists, as MVC would have.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class DocumentedQueryAttribute(string name, Type type) : Attribute
{
    public string Name { get; } = name;
    public Type Type { get; } = type;
}

/// <summary>Lists the query parameters <see cref="DocumentedQueryAttribute"/> names, in their order, before the path's.</summary>
public sealed class DocumentedQueries : IOpenApiOperationTransformer
{
    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var queries = context.Description.ActionDescriptor.EndpointMetadata.OfType<DocumentedQueryAttribute>().ToList();
        if (queries.Count == 0) return;
        operation.Parameters ??= [];
        for (var i = 0; i < queries.Count; i++)
        {
            operation.Parameters.Insert(i, new OpenApiParameter
            {
                Name = queries[i].Name,
                In = ParameterLocation.Query,
                Schema = await context.GetOrCreateSchemaAsync(queries[i].Type, null, cancellationToken),
            });
        }
    }
}
