using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Realtime.Relay.Clients;
using Realtime.Relay.Games;
using Realtime.Relay.Infrastructure;

namespace Realtime.Relay.OpenApi;

/// <summary>
/// Adds each operation's problem+json answers and its security: 401/403 for authenticated routes,
/// 400/413/415 for routes that take a body (413 alone for a body read raw), and those an action names with
/// <see cref="ProducesProblemAttribute"/>.
/// </summary>
public sealed class ProblemResponsesTransformer : IOpenApiOperationTransformer
{
    public const string ProblemSchema = nameof(ProblemDetails);

    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var statuses = new SortedSet<int>(metadata.OfType<ProducesProblemAttribute>().SelectMany(a => a.Statuses));
        var schemes = new List<string>();
        if (!metadata.OfType<IAllowAnonymous>().Any())
        {
            foreach (var authorize in metadata.OfType<IAuthorizeData>())
                schemes.Add(authorize.AuthenticationSchemes == ClientTokenAuthentication.SchemeName ? SecuritySchemes.RelayClientToken : SecuritySchemes.PlatformJwt);
            if (metadata.OfType<RelayClientEndpointAttribute>().Any()) schemes.Add(SecuritySchemes.RelayClientToken);
        }
        if (schemes.Count > 0) statuses.UnionWith([StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden]);
        if (metadata.OfType<ServerKeyAttribute>().Any()) schemes.Add(SecuritySchemes.GameServerKey);
        schemes.AddRange(metadata.OfType<AcceptsBearerAttribute>().SelectMany(a => a.Schemes));
        // A body MVC binds can be malformed (400) or in a media type no formatter reads (415); any body can be too large (413).
        var boundBody = context.Description.ParameterDescriptions.Any(p => p.Source == BindingSource.Body) || metadata.OfType<ConsumesAttribute>().Any();
        if (boundBody) statuses.UnionWith([StatusCodes.Status400BadRequest, StatusCodes.Status415UnsupportedMediaType]);
        if (boundBody || operation.RequestBody is not null) statuses.Add(StatusCodes.Status413PayloadTooLarge);

        if (schemes.Count > 0)
        {
            operation.Security = schemes.Distinct().Select(s => new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(s, context.Document)] = [],
            }).ToList();
        }
        if (statuses.Count == 0) return;

        var document = context.Document!;
        if (document.Components?.Schemas?.ContainsKey(ProblemSchema) != true)
            document.AddComponent(ProblemSchema, await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), null, cancellationToken));
        operation.Responses ??= new OpenApiResponses();
        foreach (var status in statuses)
        {
            var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (operation.Responses.ContainsKey(key)) continue;
            operation.Responses[key] = new OpenApiResponse
            {
                Description = Problems.TitleFor(status),
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    [Problems.ContentType] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, document) },
                },
            };
        }
    }
}
