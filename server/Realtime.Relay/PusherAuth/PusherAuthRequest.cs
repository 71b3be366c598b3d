using FluentValidation;
using Newtonsoft.Json.Linq;
using Realtime.Pusher.Validation;

namespace Realtime.Relay.PusherAuth;

/// <summary>
/// What pusher-js posts to an auth endpoint: <c>socket_id</c> and (for channels)
/// <c>channel_name</c>, form-encoded by default, JSON when a client chooses to.
/// </summary>
public sealed record PusherAuthRequest(string? SocketId, string? ChannelName)
{
    public static async Task<PusherAuthRequest?> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(ct);
            return new PusherAuthRequest(form["socket_id"].FirstOrDefault(), form["channel_name"].FirstOrDefault());
        }
        if (request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true)
        {
            using var reader = new StreamReader(request.Body);
            var text = await reader.ReadToEndAsync(ct);
            try
            {
                return JToken.Parse(text) is JObject json
                    ? new PusherAuthRequest(json.Value<string>("socket_id"), json.Value<string>("channel_name"))
                    : new PusherAuthRequest(null, null);
            }
            catch (Newtonsoft.Json.JsonException)
            {
                return new PusherAuthRequest(null, null);
            }
        }
        return null; // unsupported media type
    }
}

public sealed class ChannelAuthRequestValidator : AbstractValidator<PusherAuthRequest>
{
    public ChannelAuthRequestValidator()
    {
        RuleFor(r => r.SocketId).Must(PusherLimits.IsValidSocketId)
            .OverridePropertyName("socket_id").WithMessage("socket_id must look like 1234.5678 (digits, a dot, digits).");
        RuleFor(r => r.ChannelName).Must(PusherLimits.IsValidChannelName)
            .OverridePropertyName("channel_name").WithMessage($"channel_name must be 1-{PusherLimits.MaxChannelNameLength} characters of A-Z a-z 0-9 _ - = @ , . ;");
    }
}

public sealed class UserAuthRequestValidator : AbstractValidator<PusherAuthRequest>
{
    public UserAuthRequestValidator()
    {
        RuleFor(r => r.SocketId).Must(PusherLimits.IsValidSocketId)
            .OverridePropertyName("socket_id").WithMessage("socket_id must look like 1234.5678 (digits, a dot, digits).");
    }
}
