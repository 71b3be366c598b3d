using System.Text.Json.Nodes;
using Json.Schema;

namespace Realtime.Relay.Tests.Contract;

/// <summary>
/// The served <c>/openapi/v1.json</c> as a judge of real answers: the operation must exist, the
/// status must be one it declares, the content type one that status declares, and the body must
/// validate against that content's schema (JSON Schema 2020-12, which OpenAPI 3.1 schemas are).
/// </summary>
public sealed class OpenApiContract(JsonObject document)
{
    private readonly JsonObject _schemas = Rewritten(document["components"]?["schemas"]?.DeepClone() as JsonObject ?? []);

    public HashSet<string> Checked { get; } = new(StringComparer.Ordinal);

    /// <summary>How many bodies were validated against a schema (not just a status and a content type).</summary>
    public int BodiesValidated { get; private set; }

    /// <summary>Every operation of the document, as "METHOD /template".</summary>
    public IEnumerable<string> Operations =>
        ((JsonObject)document["paths"]!).SelectMany(p => ((JsonObject)p.Value!).Select(o => o.Key.ToUpperInvariant() + " " + p.Key));

    /// <summary>The reasons <paramref name="response"/> breaks the contract of <paramref name="method"/> <paramref name="template"/>; empty when it keeps it.</summary>
    public async Task<List<string>> ViolationsAsync(string method, string template, HttpResponseMessage response)
    {
        var operation = method.ToUpperInvariant() + " " + template;
        Checked.Add(operation);
        var status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (document["paths"]?[template]?[method.ToLowerInvariant()] is not JsonObject op)
            return [$"{operation}: not in the OpenAPI document"];
        if (op["responses"]?[status] is not JsonObject declared)
            return [$"{operation}: answered {status}, which the document does not declare ({string.Join(", ", ((JsonObject)op["responses"]!).Select(r => r.Key))})"];
        var body = await response.Content.ReadAsStringAsync();
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (declared["content"] is not JsonObject content)
            return body.Length == 0 ? [] : [$"{operation} {status}: a body where the document declares none"];
        if (mediaType is null || content[mediaType] is not JsonObject media)
            return [$"{operation} {status}: content type {mediaType ?? "(none)"} is not declared ({string.Join(", ", content.Select(c => c.Key))})"];
        if (!mediaType.EndsWith("json", StringComparison.Ordinal) || media["schema"] is not JsonObject schema) return [];
        var root = (JsonObject)Rewritten(schema.DeepClone())!;
        root["$defs"] = _schemas.DeepClone();
        BodiesValidated++;
        var result = JsonSchema.FromText(root.ToJsonString()).Evaluate(JsonNode.Parse(body), new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid) return [];
        var errors = (result.Details ?? []).Where(d => d.Errors is not null)
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Value}"));
        return [$"{operation} {status}: body does not match its schema: {string.Join("; ", errors.Take(5))}\n  body: {body[..Math.Min(body.Length, 300)]}"];
    }

    /// <summary>OpenAPI's <c>#/components/schemas/X</c> become <c>#/$defs/X</c> so a lone schema resolves them.</summary>
    private static JsonObject Rewritten(JsonNode? node)
    {
        var text = node!.ToJsonString().Replace("\"#/components/schemas/", "\"#/$defs/", StringComparison.Ordinal);
        return (JsonObject)JsonNode.Parse(text)!;
    }
}
