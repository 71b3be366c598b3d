using FluentValidation;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Infrastructure;
using Realtime.Relay.OpenApi;
using Realtime.Pusher.Validation;

namespace Realtime.Relay.PusherAuth;

/// <summary>
/// <c>POST /api/v1/pusher/auth</c>: what pusher-js posts to a channel authorization endpoint,
/// form-encoded by default, JSON when a client chooses to (<see cref="PusherAuthBodyBinder"/>).
/// </summary>
[RequiredFields("socket_id", "channel_name")]
public sealed record PusherAuthRequest(
    [property: JsonProperty("socket_id")] string? SocketId,
    [property: JsonProperty("channel_name")] string? ChannelName);

/// <summary><c>POST /api/v1/pusher/user-auth</c>: pusher-js's user sign-in (<c>pusher:signin</c>).</summary>
[RequiredFields("socket_id")]
public sealed record UserAuthRequest([property: JsonProperty("socket_id")] string? SocketId);

/// <summary>
/// Binds <see cref="PusherAuthRequest"/> and <see cref="UserAuthRequest"/> from a form or a JSON
/// object with pusher-js's field names. JSON that is not an object binds as an empty request (the
/// validator then names the missing fields); a body with no media type is 415, and any other
/// media type is refused by the action's <c>[Consumes]</c> before binding.
/// </summary>
public sealed class PusherAuthBodyBinder : IModelBinder
{
    public async Task BindModelAsync(ModelBindingContext bindingContext)
    {
        var request = bindingContext.HttpContext.Request;
        var ct = bindingContext.HttpContext.RequestAborted;
        string? socketId = null, channelName = null;
        if (!request.HasFormContentType && request.ContentType is null)
        {
            bindingContext.ModelState.AddModelError(ErrorHandlingSetup.UnreadableMediaTypeKey,
                "Send socket_id and channel_name as a form (application/x-www-form-urlencoded) or JSON.");
            bindingContext.Result = ModelBindingResult.Failed();
            return;
        }
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(ct);
            (socketId, channelName) = (form["socket_id"].FirstOrDefault(), form["channel_name"].FirstOrDefault());
        }
        else
        {
            using var reader = new StreamReader(request.Body);
            var text = await reader.ReadToEndAsync(ct);
            try
            {
                if (JToken.Parse(text) is JObject json) (socketId, channelName) = (Text(json, "socket_id"), Text(json, "channel_name"));
            }
            catch (JsonException) { } // not JSON: bound empty, refused by the validator with the fields it needs
        }
        bindingContext.Result = ModelBindingResult.Success(bindingContext.ModelType == typeof(UserAuthRequest)
            ? new UserAuthRequest(socketId)
            : new PusherAuthRequest(socketId, channelName));
    }

    /// <summary>A field's text; an object or array there is no text (the validator refuses it, never a 500).</summary>
    private static string? Text(JObject json, string name) =>
        json[name] is JValue { Value: { } value } ? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) : null;
}

/// <summary>Marks a parameter as the pusher-js auth body, read by <see cref="PusherAuthBodyBinder"/>.</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class FromPusherAuthBodyAttribute : Attribute, IBinderTypeProviderMetadata
{
    public BindingSource BindingSource => BindingSource.Body;
    public Type BinderType => typeof(PusherAuthBodyBinder);
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

public sealed class UserAuthRequestValidator : AbstractValidator<UserAuthRequest>
{
    public UserAuthRequestValidator()
    {
        RuleFor(r => r.SocketId).Must(PusherLimits.IsValidSocketId)
            .OverridePropertyName("socket_id").WithMessage("socket_id must look like 1234.5678 (digits, a dot, digits).");
    }
}
