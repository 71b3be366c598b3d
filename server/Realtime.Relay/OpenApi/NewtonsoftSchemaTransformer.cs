using System.Reflection;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Realtime.Relay.OpenApi;

/// <summary>
/// Makes schemas say what Newtonsoft writes and reads, not what System.Text.Json would:
/// <list type="bullet">
/// <item>a <see cref="JToken"/> is any JSON value (System.Text.Json sees an endless array of arrays);</item>
/// <item>Newtonsoft's <c>[JsonIgnore]</c> removes a property, <c>[JsonProperty("name")]</c> renames it;</item>
/// <item>a response property is required unless Newtonsoft leaves it out when null, and no other
/// property may appear; a request's
/// required fields are those its <see cref="RequiredFieldsAttribute"/> names (its validator's rules);</item>
/// <item>problem+json carries <c>code</c>, <c>traceId</c> and, for invalid input, <c>errors</c>.</item>
/// </list>
/// </summary>
public sealed class NewtonsoftSchemaTransformer : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        if (typeof(JToken).IsAssignableFrom(type)) AnyJson(schema, type);
        else if (context.JsonPropertyInfo is null && typeof(ProblemDetails).IsAssignableFrom(type)) Problem(schema);
        else if (context.JsonPropertyInfo is null && context.JsonTypeInfo.Kind == JsonTypeInfoKind.Object && schema.Properties is not null)
            AsNewtonsoftWrites(schema, context.JsonTypeInfo);
        return Task.CompletedTask;
    }

    private static void AnyJson(OpenApiSchema schema, Type type)
    {
        schema.Type = type == typeof(JObject) ? JsonSchemaType.Object : type == typeof(JArray) ? JsonSchemaType.Array : null;
        schema.Items = null;
        schema.Properties = null;
        schema.AdditionalProperties = null;
        schema.Required = null;
        schema.Format = null;
        schema.Pattern = null;
        schema.Description ??= "Any JSON value.";
    }

    private static void AsNewtonsoftWrites(OpenApiSchema schema, JsonTypeInfo typeInfo)
    {
        var declared = typeInfo.Type.GetCustomAttribute<RequiredFieldsAttribute>();
        var required = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in typeInfo.Properties)
        {
            var member = property.AttributeProvider as MemberInfo;
            var name = property.Name;
            if (member?.IsDefined(typeof(Newtonsoft.Json.JsonIgnoreAttribute)) == true)
            {
                schema.Properties!.Remove(name);
                continue;
            }
            var newtonsoft = member?.GetCustomAttribute<JsonPropertyAttribute>();
            if (newtonsoft?.PropertyName is { } wire && wire != name && schema.Properties!.TryGetValue(name, out var renamed))
            {
                schema.Properties.Remove(name);
                schema.Properties[wire] = renamed;
                name = wire;
            }
            var present = declared is null
                ? newtonsoft?.NullValueHandling != NullValueHandling.Ignore
                : declared.Names.Contains(name);
            if (present) required.Add(name);
        }
        schema.Required = required;
        // An answer holds exactly what its record declares: a field added without its record is drift.
        if (declared is null) schema.AdditionalPropertiesAllowed = false;
    }

    private static void Problem(OpenApiSchema schema)
    {
        schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
        schema.Properties["code"] = new OpenApiSchema
        {
            Type = JsonSchemaType.String, Description = "Stable error code clients switch on (README, \"The relay's API\").",
        };
        schema.Properties["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String };
        schema.Properties["errors"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object, Description = "For invalid input: each failing field and why.",
            AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
        };
        schema.Required = new HashSet<string> { "status", "title", "code" };
    }
}

/// <summary>The JSON fields a request must carry (its validator refuses it otherwise); every other field is optional.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class RequiredFieldsAttribute(params string[] names) : Attribute
{
    public IReadOnlyCollection<string> Names { get; } = names;
}
